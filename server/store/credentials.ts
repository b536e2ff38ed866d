// The reads behind every authenticated call: a credential, its secret's digest and its owner, in one raw query
// each. They run on every call whose credential is not cached, so they skip Prisma's query building; the rows
// have the same shape the Prisma selects in api-keys.ts and sessions.ts would give.
import type { Sql } from "./database.js";
import { isUuid } from "./db.js";

/** What authentication needs to know about a credential's owner. */
export interface CredentialOwner {
  id: string;
  userId: string;
  admin: boolean;
  state: number;
  stateDescription: string;
  deletedAt: Date | null;
  primaryEmailAddressValidatedAt: Date | null;
}

export interface ApiKeyForAuth {
  id: string;
  name: string;
  rights: number[];
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  secretHash: string;
  /** Null for a key without a user owner (none exist yet) or whose owner is gone. */
  user: CredentialOwner | null;
}

export interface SessionForAuth {
  id: string;
  expiresAt: Date | null;
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  secretHash: string;
  user: CredentialOwner | null;
}

const OWNER_COLUMNS = `u."id" AS "owner_id", u."user_id" AS "owner_user_id", u."admin", u."state", u."state_description",
  u."deleted_at", u."primary_email_address_validated_at"`;

const API_KEY_FOR_AUTH = `SELECT k."id", k."name", k."rights", k."expires_at", k."created_at", k."updated_at", k."secret_hash", ${OWNER_COLUMNS}
  FROM "api_keys" k LEFT JOIN "users" u ON u."id" = k."user_id" WHERE k."id" = $1`;

const SESSION_FOR_AUTH = `SELECT s."id", s."expires_at", s."last_seen_at", s."created_at", s."updated_at", s."secret_hash", ${OWNER_COLUMNS}
  FROM "user_sessions" s LEFT JOIN "users" u ON u."id" = s."user_id" WHERE s."id" = $1::uuid`;

function owner(row: Record<string, any>): CredentialOwner | null {
  if (row.owner_id == null) return null;
  return {
    id: row.owner_id, userId: row.owner_user_id, admin: row.admin, state: row.state, stateDescription: row.state_description,
    deletedAt: row.deleted_at, primaryEmailAddressValidatedAt: row.primary_email_address_validated_at,
  };
}

export async function readApiKeyForAuth(sql: Sql, id: string): Promise<ApiKeyForAuth | null> {
  const { rows: [row] } = await sql(API_KEY_FOR_AUTH, [id], "api_key_for_auth");
  if (!row) return null;
  return {
    id: row.id, name: row.name, rights: row.rights, expiresAt: row.expires_at, createdAt: row.created_at,
    updatedAt: row.updated_at, secretHash: row.secret_hash, user: owner(row),
  };
}

export async function readSessionForAuth(sql: Sql, id: string): Promise<SessionForAuth | null> {
  if (!isUuid(id)) return null;
  const { rows: [row] } = await sql(SESSION_FOR_AUTH, [id], "session_for_auth");
  if (!row) return null;
  return {
    id: row.id, expiresAt: row.expires_at, lastSeenAt: row.last_seen_at, createdAt: row.created_at,
    updatedAt: row.updated_at, secretHash: row.secret_hash, user: owner(row),
  };
}
