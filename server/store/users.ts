import type { Prisma } from "../../prisma/generated/client.js";
import * as errors from "../domain/error-catalog.js";
import { orderBy, type Db } from "./db.js";

/** Every column except secrets. Password and temporary-password hashes are only read by `findUserSecrets`. */
export const userColumns = {
  id: true, userId: true, name: true, description: true, primaryEmailAddress: true,
  primaryEmailAddressValidatedAt: true, passwordUpdatedAt: true, requirePasswordUpdate: true, state: true,
  stateDescription: true, admin: true, temporaryPasswordCreatedAt: true, temporaryPasswordExpiresAt: true,
  profilePicture: true, consolePreferences: true, createdAt: true, updatedAt: true, deletedAt: true,
  attributes: { select: { key: true, value: true } },
} satisfies Prisma.UserSelect;

export type UserRow = Prisma.UserGetPayload<{ select: typeof userColumns }>;
export type UserScope = "active" | "deleted" | "any";

const scoped = (scope: UserScope): Prisma.UserWhereInput =>
  scope === "active" ? { deletedAt: null } : scope === "deleted" ? { deletedAt: { not: null } } : {};

export function findUser(db: Db, userId: string, scope: UserScope = "active"): Promise<UserRow | null> {
  return db.user.findFirst({ where: { userId, ...scoped(scope) }, select: userColumns });
}

/** `findUser`, or `user_not_found` (5). */
export async function getUser(db: Db, userId: string, scope: UserScope = "active"): Promise<UserRow> {
  const user = await findUser(db, userId, scope);
  if (!user) throw errors.userNotFound({ user_id: userId });
  return user;
}

/** The hashes needed to check a password; never part of a user read. */
export function findUserSecrets(db: Db, userId: string) {
  return db.user.findFirst({
    where: { userId, deletedAt: null },
    select: {
      id: true, userId: true, passwordHash: true, temporaryPasswordHash: true, temporaryPasswordExpiresAt: true,
      primaryEmailAddress: true, name: true, state: true, admin: true,
    },
  });
}

export type UserWrite = Omit<Prisma.UserUncheckedCreateInput, "attributes" | "id">;

export function createUser(db: Db, data: UserWrite, attributes: Record<string, string>): Promise<UserRow> {
  return db.user.create({
    data: { ...data, attributes: { create: Object.entries(attributes).map(([key, value]) => ({ key, value })) } },
    select: userColumns,
  });
}

/** Updates columns and, when given, replaces the whole attribute map (upstream semantics). */
export async function updateUser(
  db: Db,
  id: string,
  data: Prisma.UserUncheckedUpdateInput,
  attributes?: Record<string, string>,
): Promise<UserRow> {
  if (attributes) {
    await db.userAttribute.deleteMany({ where: { userId: id } });
    await db.userAttribute.createMany({ data: Object.entries(attributes).map(([key, value]) => ({ userId: id, key, value })) });
  }
  // An empty update still bumps updated_at, as upstream does for an empty field mask.
  return db.user.update({ where: { id }, data: { ...data, updatedAt: new Date() }, select: userColumns });
}

export const USER_ORDER_FIELDS = {
  user_id: "userId", name: "name", primary_email_address: "primaryEmailAddress", state: "state", admin: "admin",
  created_at: "createdAt",
} as const;

/** `order` is "" or one of USER_ORDER_FIELDS, optionally prefixed with "-"; user_id breaks ties in the same direction. */
export function userOrder(order: string): Prisma.UserOrderByWithRelationInput[] {
  return orderBy(order, USER_ORDER_FIELDS, "userId", "userId");
}

export async function listUsers(
  db: Db,
  options: { where: Prisma.UserWhereInput; order: string; take: number; skip: number },
): Promise<{ users: UserRow[]; total: number }> {
  const [users, total] = await Promise.all([
    db.user.findMany({ where: options.where, orderBy: userOrder(options.order), take: options.take, skip: options.skip, select: userColumns }),
    db.user.count({ where: options.where }),
  ]);
  return { users, total };
}

export function scopeFilter(deleted: boolean): Prisma.UserWhereInput {
  return scoped(deleted ? "deleted" : "active");
}

/**
 * Locks the rows of the active admins until the transaction ends and counts them. Two admins demoting or deleting
 * each other at once then take turns, and the second sees the first's change, so one admin always remains.
 */
export async function lockActiveAdmins(tx: Db): Promise<number> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "users" WHERE "admin" AND "deleted_at" IS NULL FOR UPDATE`;
  return rows.length;
}

/** Serializes writes about one user (e.g. capped login tokens) until the transaction ends. */
export async function lockUser(tx: Db, internalId: string): Promise<void> {
  await tx.$queryRaw`SELECT "id" FROM "users" WHERE "id" = ${internalId}::uuid FOR UPDATE`;
}

/** Ends the user's sessions, all of them or all but `exceptSessionId`. */
export function deleteUserSessions(db: Db, internalId: string, exceptSessionId?: string) {
  return db.userSession.deleteMany({ where: { userId: internalId, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) } });
}

/**
 * Soft-deletes the user unless it already is: one conditional write, so of parallel deletes exactly one succeeds
 * (the others wait for its row lock, then find it deleted). False when it was not active.
 */
export async function softDeleteUser(db: Db, internalId: string, at: Date): Promise<boolean> {
  const { count } = await db.user.updateMany({ where: { id: internalId, deletedAt: null }, data: { deletedAt: at } });
  return count > 0;
}

/** Restores the user if it is deleted and was deleted at or after `deletedSince`; exactly once, like the delete. */
export async function restoreUser(db: Db, internalId: string, deletedSince: Date): Promise<boolean> {
  const { count } = await db.user.updateMany({ where: { id: internalId, deletedAt: { gte: deletedSince } }, data: { deletedAt: null } });
  return count > 0;
}

/** Hard delete: API keys, sessions, tokens, attributes and links go with it through ON DELETE CASCADE. */
export async function purgeUser(db: Db, internalId: string): Promise<boolean> {
  const { count } = await db.user.deleteMany({ where: { id: internalId } });
  return count > 0; // false when a concurrent purge got there first
}
