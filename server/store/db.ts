import type { Prisma, PrismaClient } from "../../prisma/generated/client.js";
import * as errors from "../domain/error-catalog.js";
import type { ChangeCache } from "./change-cache.js";
import type { Sql } from "./database.js";

/** A client or an open transaction: repositories accept either, so callers decide what is atomic. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** What the hottest reads use beside a root client: raw SQL, and user rows cached until they change. */
export interface RawAccess {
  sql: Sql;
  userRows: ChangeCache<{ ownerId: string; row: unknown }>;
}

const rawAccess = new WeakMap<object, RawAccess>();

/** Registers the raw access of a database's root client (store/database.ts does, when it opens one). */
export function registerRawAccess(client: PrismaClient, access: RawAccess): void {
  rawAccess.set(client, access);
}

/**
 * Raw access beside `db` when it is a root client, undefined inside a transaction (whose reads must stay on its
 * own connection and see its own writes). The hottest reads use it to skip Prisma's per-query work; they return
 * the same shapes either way.
 */
export const rawAccessOf = (db: Db): RawAccess | undefined => rawAccess.get(db);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Row IDs are UUIDs; anything else cannot exist and must not reach the database (the query would fail there). */
export const isUuid = (id: string): boolean => UUID.test(id);

/** True for a unique-constraint violation, however the driver adapter reports it. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string; originalCode?: string }; meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } };
  return (
    e?.code === "P2002" ||
    e?.cause?.code === "23505" ||
    e?.cause?.originalCode === "23505" ||
    e?.meta?.driverAdapterError?.cause?.originalCode === "23505" ||
    e?.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation"
  );
}

/** True when an update or delete found no row (Prisma P2025), e.g. because a concurrent request removed it. */
export function isRecordNotFound(err: unknown): boolean {
  return (err as { code?: string })?.code === "P2025";
}

/** Runs a write whose only expected failure is a taken ID or e-mail: that becomes `already_exists` (6). */
export async function withUniqueness<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.alreadyExists();
    throw err;
  }
}

/** A list call's `order` ("", "name", "-name"): the field named, and whether it is descending. */
export function parseOrder(order: string): { field: string; desc: boolean } {
  return order.startsWith("-") ? { field: order.slice(1), desc: true } : { field: order, desc: false };
}

/**
 * Prisma `orderBy` for a list call: the requested field (mapped to its model field, else `fallback`), then
 * `tieBreak` in the same direction so pages never overlap.
 */
export function orderBy<F extends string>(order: string, fields: Readonly<Record<string, F>>, fallback: F, tieBreak: F): Record<F, "asc" | "desc">[] {
  const { field, desc } = parseOrder(order);
  const column = (Object.hasOwn(fields, field) ? fields[field] : undefined) ?? fallback;
  const dir = desc ? "desc" : "asc";
  const first = { [column]: dir } as Record<F, "asc" | "desc">;
  return column === tieBreak ? [first] : [first, { [tieBreak]: dir } as Record<F, "asc" | "desc">];
}

/** Offset pagination shared by every list call: limit 0 means the configured default, page 0 means 1. */
export function page(limit: number, pageNumber: number, defaultLimit: number): { take: number; skip: number } {
  const take = limit || defaultLimit;
  return { take, skip: (Math.max(pageNumber, 1) - 1) * take };
}
