import { digestSecret, generateApiKey } from "../domain/tokens.js";
import type { Right } from "../domain/rights.js";
import { createApiKey, type ApiKeyRow } from "../store/api-keys.js";
import type { Db } from "../store/db.js";

/**
 * Mints a user API key. Only a digest of the secret is stored; the full token is returned once, to be shown
 * to whoever asked for it and never again.
 */
export async function issueUserApiKey(
  db: Db,
  userInternalId: string,
  options: { name: string; rights: Right[]; expiresAt: Date | null },
): Promise<{ key: ApiKeyRow; token: string }> {
  const { id, secret, token } = generateApiKey();
  const key = await createApiKey(db, {
    id, secretHash: digestSecret(secret), name: options.name, rights: options.rights, userId: userInternalId, expiresAt: options.expiresAt,
  });
  return { key, token };
}
