// User sessions and login tokens. The session secret's digest is only read by `readSessionForAuth` (credentials.ts).
import type { Prisma } from "../../prisma/generated/client.js";
import { randomUUID } from "node:crypto";
import { isUuid, orderBy, rawAccessOf, type Db } from "./db.js";

const sessionColumns = {
  id: true, expiresAt: true, lastSeenAt: true, createdAt: true, updatedAt: true,
} satisfies Prisma.UserSessionSelect;

export type SessionRow = Prisma.UserSessionGetPayload<{ select: typeof sessionColumns }>;

export const isSessionId = isUuid;

/** Every login writes one: raw SQL beside a root client (the same row Prisma would write), Prisma in a transaction. */
export async function createSession(
  db: Db, data: { userId: string; secretHash: string; expiresAt: Date; createdAt: Date; userAgent?: string | null; clientAddress?: string | null },
): Promise<SessionRow> {
  const sql = rawAccessOf(db)?.sql;
  if (!sql) return db.userSession.create({ data: { ...data, lastSeenAt: data.createdAt }, select: sessionColumns });
  const { rows: [r] } = await sql(
    `INSERT INTO "user_sessions" ("id", "user_id", "secret_hash", "expires_at", "last_seen_at", "created_at", "updated_at", "user_agent", "client_address")
     VALUES ($1::uuid, $2::uuid, $3, $4, $5, $5, $5, $6, $7)
     RETURNING "id", "expires_at", "last_seen_at", "created_at", "updated_at"`,
    [randomUUID(), data.userId, data.secretHash, data.expiresAt, data.createdAt, data.userAgent ?? null, data.clientAddress ?? null],
    "create_session",
  );
  return { id: r.id, expiresAt: r.expires_at, lastSeenAt: r.last_seen_at, createdAt: r.created_at, updatedAt: r.updated_at };
}

export type { SessionForAuth } from "./credentials.js";

/** Records use; `updated_at` is left alone because upstream never touches it after creation. */
export async function touchSession(db: Db, id: string, lastSeenAt: Date, expiresAt: Date): Promise<void> {
  await db.userSession.updateMany({ where: { id }, data: { lastSeenAt, expiresAt } });
}

export async function listUserSessions(
  db: Db,
  userInternalId: string,
  options: { order: string; take: number; skip: number },
): Promise<{ sessions: SessionRow[]; total: number }> {
  const where = { userId: userInternalId };
  // Orders are "", created_at and -created_at (validated); "" sorts by creation too, id breaks ties.
  const [sessions, total] = await Promise.all([
    db.userSession.findMany({ where, orderBy: orderBy(options.order, { created_at: "createdAt" }, "createdAt", "id"), take: options.take, skip: options.skip, select: sessionColumns }),
    db.userSession.count({ where }),
  ]);
  return { sessions, total };
}

/** Deletes the session only when it belongs to that user; false when there was nothing to delete. */
export async function deleteUserSession(db: Db, userInternalId: string, id: string): Promise<boolean> {
  if (!isSessionId(id)) return false;
  const { count } = await db.userSession.deleteMany({ where: { id, userId: userInternalId } });
  return count > 0;
}

/** Login tokens of the user that can still be redeemed. */
export function countActiveLoginTokens(db: Db, userInternalId: string, now: Date): Promise<number> {
  return db.loginToken.count({ where: { userId: userInternalId, used: false, expiresAt: { gt: now } } });
}

/** Stores a login token by its digest only. */
export async function createLoginToken(db: Db, data: { userId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
  await db.loginToken.create({ data });
}

export type LoginTokenOutcome = { userId: string } | { failure: "not_found" | "expired" | "used" };

/**
 * Marks the token used with one conditional write, so two parallel redemptions cannot both succeed; only when
 * that write matched nothing is the row read, to say why.
 */
export async function consumeLoginToken(db: Db, tokenHash: string, now: Date): Promise<LoginTokenOutcome> {
  const { count } = await db.loginToken.updateMany({
    where: { tokenHash, used: false, expiresAt: { gt: now } },
    data: { used: true, updatedAt: now },
  });
  const row = await db.loginToken.findUnique({ where: { tokenHash }, select: { userId: true, used: true, expiresAt: true } });
  if (count === 1 && row) return { userId: row.userId };
  if (!row) return { failure: "not_found" };
  if (row.expiresAt <= now) return { failure: "expired" };
  return { failure: "used" };
}

/** What starting a session needs to know about a user found by internal ID (e.g. a login token's owner). */
export function findSessionOwner(db: Db, userInternalId: string) {
  return db.user.findUnique({
    where: { id: userInternalId },
    select: { id: true, userId: true, state: true, stateDescription: true, deletedAt: true },
  });
}

/** A user's sessions with where they were started, newest first (the console's session list). */
export function listSessionDetails(db: Db, userInternalId: string, take = 100) {
  return db.userSession.findMany({
    where: { userId: userInternalId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
    select: { ...sessionColumns, userAgent: true, clientAddress: true },
  });
}

/** Ends every session of the user except `keepId`; returns how many ended. */
export async function deleteOtherSessions(db: Db, userInternalId: string, keepId: string): Promise<number> {
  const { count } = await db.userSession.deleteMany({ where: { userId: userInternalId, id: { not: keepId } } });
  return count;
}
