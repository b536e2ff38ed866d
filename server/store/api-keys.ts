import type { Prisma } from "../../prisma/generated/client.js";
import { isRecordNotFound, orderBy, type Db } from "./db.js";

/** Key metadata; the secret's digest is only read by `readApiKeyForAuth` (credentials.ts). */
const apiKeyColumns = {
  id: true, name: true, rights: true, expiresAt: true, createdAt: true, updatedAt: true,
} satisfies Prisma.ApiKeySelect;

export type ApiKeyRow = Prisma.ApiKeyGetPayload<{ select: typeof apiKeyColumns }>;

export function createApiKey(
  db: Db,
  data: { id: string; secretHash: string; name: string; rights: number[]; userId: string; expiresAt: Date | null },
): Promise<ApiKeyRow> {
  return db.apiKey.create({ data, select: apiKeyColumns });
}

export function findUserApiKey(db: Db, userInternalId: string, id: string): Promise<ApiKeyRow | null> {
  return db.apiKey.findFirst({ where: { id, userId: userInternalId }, select: apiKeyColumns });
}

const ORDER_FIELDS = { api_key_id: "id", name: "name", created_at: "createdAt", expires_at: "expiresAt" } as const;

export async function listUserApiKeys(
  db: Db,
  userInternalId: string,
  options: { order: string; take: number; skip: number },
): Promise<{ keys: ApiKeyRow[]; total: number }> {
  const where = { userId: userInternalId };
  const [keys, total] = await Promise.all([
    db.apiKey.findMany({ where, orderBy: orderBy(options.order, ORDER_FIELDS, "id", "id"), take: options.take, skip: options.skip, select: apiKeyColumns }),
    db.apiKey.count({ where }),
  ]);
  return { keys, total };
}

/** The updated key, or null when it is gone (deleted concurrently). */
export async function updateApiKey(db: Db, id: string, data: Prisma.ApiKeyUpdateInput): Promise<ApiKeyRow | null> {
  try {
    return await db.apiKey.update({ where: { id }, data, select: apiKeyColumns });
  } catch (err) {
    if (isRecordNotFound(err)) return null;
    throw err;
  }
}

export async function deleteUserApiKey(db: Db, userInternalId: string, id: string): Promise<boolean> {
  const { count } = await db.apiKey.deleteMany({ where: { id, userId: userInternalId } });
  return count > 0;
}

/** Deletes a key whoever owns it (the operator's revocation). */
export async function deleteApiKey(db: Db, id: string): Promise<boolean> {
  const { count } = await db.apiKey.deleteMany({ where: { id } });
  return count > 0;
}
