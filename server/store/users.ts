import type { Prisma } from "../../prisma/generated/client.js";
import { ALL_USERS } from "./change-cache.js";
import { orderBy, parseOrder, rawAccessOf, type Db, type RawAccess } from "./db.js";

/** Every column except secrets. Password and temporary-password hashes are only read by `findUserSecrets`. */
const userColumns = {
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

/**
 * The user, or null. Outside transactions a live user comes from the row cache (dropped whenever the database
 * announces a change to the user or its attributes) or one raw query; the row is frozen, as others share it.
 */
export async function findUser(db: Db, userId: string, scope: UserScope = "active"): Promise<UserRow | null> {
  const raw = rawAccessOf(db);
  if (!raw) return db.user.findFirst({ where: { userId, ...scoped(scope) }, select: userColumns });
  const key = `r:${userId}`;
  if (scope === "active") {
    const cached = raw.userRows.get(key);
    if (cached) return cached.row as UserRow;
  }
  const generation = raw.userRows.begin();
  const { rows: [found] } = await raw.sql(`${USER_SELECT} WHERE u."user_id" = $1 AND ${SCOPE_SQL[scope]}`, [userId], `find_user_${scope}`);
  if (!found) return null;
  const row = userRow(found);
  if (!row.deletedAt) raw.userRows.put(key, generation, { ownerId: row.id, row });
  return row;
}

// The same columns as `userColumns` in raw SQL, for reads outside transactions (every Get, List and search page):
// each UserRow field but the attributes, and its column.
const USER_COLUMN_NAMES = {
  id: "id", userId: "user_id", name: "name", description: "description", primaryEmailAddress: "primary_email_address",
  primaryEmailAddressValidatedAt: "primary_email_address_validated_at", passwordUpdatedAt: "password_updated_at",
  requirePasswordUpdate: "require_password_update", state: "state", stateDescription: "state_description", admin: "admin",
  temporaryPasswordCreatedAt: "temporary_password_created_at", temporaryPasswordExpiresAt: "temporary_password_expires_at",
  profilePicture: "profile_picture", consolePreferences: "console_preferences", createdAt: "created_at",
  updatedAt: "updated_at", deletedAt: "deleted_at",
} as const satisfies Record<Exclude<keyof UserRow, "attributes">, string>;
type ColumnField = keyof typeof USER_COLUMN_NAMES;
const ATTRIBUTES_SQL = `(SELECT coalesce(json_agg(json_build_object('key', a."key", 'value', a."value") ORDER BY a."key"), '[]'::json)
     FROM "user_attributes" a WHERE a."user_id" = u."id") AS "attributes"`;

/** SELECT … FROM "users" u with the columns of `fields` (and the attributes if among them). */
function userSelect(fields: Iterable<keyof UserRow>): string {
  const wanted = new Set(fields);
  const columns = (Object.keys(USER_COLUMN_NAMES) as ColumnField[]).filter((f) => wanted.has(f)).map((f) => `u."${USER_COLUMN_NAMES[f]}"`);
  if (wanted.has("attributes")) columns.push(ATTRIBUTES_SQL);
  return `SELECT ${columns.join(", ")} FROM "users" u`;
}
const ALL_FIELDS = [...(Object.keys(USER_COLUMN_NAMES) as ColumnField[]), "attributes"] as const;
const USER_SELECT = userSelect(ALL_FIELDS);

/**
 * The fields a page of users must carry; absent: all of them. Those left out stay undefined in its rows (an empty
 * attribute list for the attributes), and the database need not format them: timestamps and JSON cost most of a
 * page's rows, and the attributes as much as the rest. For callers that show only these fields (a read mask).
 * id, userId and deletedAt are always read.
 */
export interface PageColumns {
  fields?: ReadonlySet<keyof UserRow>;
}

const pageSelect = (columns: PageColumns) =>
  columns.fields ? userSelect(["id", "userId", "deletedAt", ...columns.fields]) : USER_SELECT;
const SCOPE_SQL: Record<UserScope, string> = { active: `u."deleted_at" IS NULL`, deleted: `u."deleted_at" IS NOT NULL`, any: "TRUE" };

/** A raw row as UserRow (typed field by field, so a column added to `userColumns` must be added here too), frozen. */
function userRow(r: Record<string, any>): UserRow {
  const row: UserRow = {
    id: r.id, userId: r.user_id, name: r.name, description: r.description, primaryEmailAddress: r.primary_email_address,
    primaryEmailAddressValidatedAt: r.primary_email_address_validated_at, passwordUpdatedAt: r.password_updated_at,
    requirePasswordUpdate: r.require_password_update, state: r.state, stateDescription: r.state_description, admin: r.admin,
    temporaryPasswordCreatedAt: r.temporary_password_created_at, temporaryPasswordExpiresAt: r.temporary_password_expires_at,
    profilePicture: r.profile_picture, consolePreferences: r.console_preferences, createdAt: r.created_at,
    updatedAt: r.updated_at, deletedAt: r.deleted_at, attributes: Object.freeze(r.attributes ?? []) as UserRow["attributes"],
  };
  return Object.freeze(row);
}

/** Users by internal ID, in no particular order (a search page loads its rows so). */
export async function findUsersByIds(db: Db, ids: string[], columns: PageColumns = {}): Promise<UserRow[]> {
  const sql = rawAccessOf(db)?.sql;
  if (sql) {
    // Only the whole row is a named (prepared once per connection) statement: field sets are many.
    const name = columns.fields ? undefined : "find_users_by_ids";
    return (await sql(`${pageSelect(columns)} WHERE u."id" = ANY($1::uuid[])`, [ids], name)).rows.map(userRow);
  }
  return db.user.findMany({ where: { id: { in: ids } }, select: userColumns });
}

export interface UserSecrets {
  id: string;
  userId: string;
  passwordHash: string;
  temporaryPasswordHash: string | null;
  temporaryPasswordExpiresAt: Date | null;
  primaryEmailAddress: string;
  name: string;
  state: number;
  admin: boolean;
}

/** The hashes needed to check a password; never part of a user read. Raw SQL beside a root client (every login). */
export async function findUserSecrets(db: Db, userId: string): Promise<UserSecrets | null> {
  const raw = rawAccessOf(db);
  if (!raw) {
    return db.user.findFirst({
      where: { userId, deletedAt: null },
      select: {
        id: true, userId: true, passwordHash: true, temporaryPasswordHash: true, temporaryPasswordExpiresAt: true,
        primaryEmailAddress: true, name: true, state: true, admin: true,
      },
    });
  }
  const { rows: [r] } = await raw.sql(
    `SELECT "id", "user_id", "password_hash", "temporary_password_hash", "temporary_password_expires_at", "primary_email_address",
       "name", "state", "admin" FROM "users" WHERE "user_id" = $1 AND "deleted_at" IS NULL`,
    [userId], "find_user_secrets",
  );
  if (!r) return null;
  return {
    id: r.id, userId: r.user_id, passwordHash: r.password_hash, temporaryPasswordHash: r.temporary_password_hash,
    temporaryPasswordExpiresAt: r.temporary_password_expires_at, primaryEmailAddress: r.primary_email_address, name: r.name,
    state: r.state, admin: r.admin,
  };
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
function userOrder(order: string): Prisma.UserOrderByWithRelationInput[] {
  return orderBy(order, USER_ORDER_FIELDS, "userId", "userId");
}

/** One page of live (or only soft-deleted) users in `order`, and how many there are in all. */
export async function listUsers(
  db: Db,
  options: { deleted: boolean; order: string; take: number; skip: number } & PageColumns,
): Promise<{ users: UserRow[]; total: number }> {
  const raw = rawAccessOf(db);
  const scope: UserScope = options.deleted ? "deleted" : "active";
  if (!raw) {
    const where = scoped(scope);
    const [users, total] = await Promise.all([
      db.user.findMany({ where, orderBy: userOrder(options.order), take: options.take, skip: options.skip, select: userColumns }),
      db.user.count({ where }),
    ]);
    return { users, total };
  }
  const { field, desc } = parseOrder(options.order);
  const column = Object.hasOwn(USER_ORDER_FIELDS, field) ? field : "user_id";
  const dir = desc ? "DESC" : "ASC";
  const by = column === "user_id" ? `u."user_id" ${dir}` : `u."${column}" ${dir}, u."user_id" ${dir}`;
  const [page, count] = await Promise.all([
    raw.sql(`${pageSelect(options)} WHERE ${SCOPE_SQL[scope]} ORDER BY ${by} LIMIT $1 OFFSET $2`, [options.take, options.skip]),
    countUsers(raw, scope),
  ]);
  return { users: page.rows.map(userRow), total: count };
}

/** How many live (or soft-deleted) users there are: counted once, then kept until any user is added or changes. */
async function countUsers(raw: RawAccess, scope: UserScope): Promise<number> {
  const key = `c:${scope}`;
  const cached = raw.userRows.get(key);
  if (cached) return cached.row as number;
  const generation = raw.userRows.begin();
  const { rows: [row] } = await raw.sql(`SELECT count(*)::int AS "total" FROM "users" u WHERE ${SCOPE_SQL[scope]}`, [], `count_users_${scope}`);
  raw.userRows.put(key, generation, { ownerId: ALL_USERS, row: row.total });
  return row.total;
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

/** A temporary password to set: its argon2 hash and when it was made and expires. */
export interface TemporaryPassword { hash: string; createdAt: Date; expiresAt: Date }

/**
 * Sets the user's temporary password in one conditional write; with `keepValid`, a still-valid one is kept (even
 * against parallel requests) and the answer is false. Also false when the user is not active.
 */
export async function setTemporaryPassword(db: Db, internalId: string, temporary: TemporaryPassword, options: { keepValid: boolean }): Promise<boolean> {
  const { createdAt, expiresAt, hash } = temporary;
  const { count } = await db.user.updateMany({
    where: {
      id: internalId, deletedAt: null,
      ...(options.keepValid ? { OR: [{ temporaryPasswordExpiresAt: null }, { temporaryPasswordExpiresAt: { lte: createdAt } }] } : {}),
    },
    data: { temporaryPasswordHash: hash, temporaryPasswordCreatedAt: createdAt, temporaryPasswordExpiresAt: expiresAt, updatedAt: createdAt },
  });
  return count > 0;
}

/**
 * Replaces the password, conditional on the hashes the caller verified against (so a concurrent change is never
 * overwritten blindly); a used temporary password goes with it. False when the hashes changed meanwhile.
 */
export async function replacePassword(
  db: Db, internalId: string, verified: { passwordHash: string; temporaryPasswordHash: string | null },
  change: { passwordHash: string; at: Date; clearTemporary: boolean },
): Promise<boolean> {
  const { count } = await db.user.updateMany({
    where: { id: internalId, deletedAt: null, passwordHash: verified.passwordHash, temporaryPasswordHash: verified.temporaryPasswordHash },
    data: {
      passwordHash: change.passwordHash, passwordUpdatedAt: change.at, requirePasswordUpdate: false, passwordUnusable: false, updatedAt: change.at,
      ...(change.clearTemporary ? { temporaryPasswordHash: null, temporaryPasswordCreatedAt: null, temporaryPasswordExpiresAt: null } : {}),
    },
  });
  return count > 0;
}

/** Stores a rehash of the same password (a newer scheme), unless the password changed since `oldHash` was read. */
export async function upgradePasswordHash(db: Db, internalId: string, oldHash: string, passwordHash: string): Promise<void> {
  await db.user.updateMany({ where: { id: internalId, passwordHash: oldHash }, data: { passwordHash } });
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
