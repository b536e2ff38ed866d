// Operator tasks shared by the CLI (and by tests that bootstrap a deployment the way an operator does). They work
// on the database with the operator's authority: no caller, no rights check, no registration blocklist (upstream's
// `is-db create-admin-user` makes `admin` too).
import { State } from "../gen/ttn/lorawan/v3/enums_pb.js";
import { RightSchema } from "../gen/ttn/lorawan/v3/rights_pb.js";
import { issueUserApiKey } from "./auth/api-key-issuer.js";
import type { Config } from "./config.js";
import { ENTITY_ID_PATTERN, isValidEmail, isValidUserId, MAX_ID_LENGTH } from "./domain/identifiers.js";
import { hashPassword } from "./domain/password-hash.js";
import { checkPassword } from "./domain/password-policy.js";
import type { Right } from "./domain/rights.js";
import type { ProviderSecrets } from "./sso/provider-secrets.js";
import { createProvider, type ProviderWrite } from "./store/authentication-providers.js";
import { isUniqueViolation, type Db } from "./store/db.js";
import { deleteApiKey } from "./store/api-keys.js";
import { createUser, deleteUserSessions, findUser, listUsers, restoreUser, setTemporaryPassword, softDeleteUser, type UserRow } from "./store/users.js";
import { randomKey } from "./domain/tokens.js";

/** A mistake in what the operator asked for: reported as a message, never as a stack trace. */
export class OperatorError extends Error {}

/** Accepts `RIGHT_USER_INFO` or `USER_INFO` (any case); `right_invalid` is not a right. */
export function parseRight(name: string): Right {
  const upper = name.trim().toUpperCase();
  const value = RightSchema.values.find((v) => v.name === upper || v.name === `RIGHT_${upper}`);
  if (!value || value.number === 0) throw new OperatorError(`unknown right "${name}"`);
  return value.number as Right;
}

/** Creates an approved admin whose e-mail counts as validated (the operator vouches for it). */
export async function createAdminUser(db: Db, config: Config, input: { userId: string; email: string; password: string }): Promise<void> {
  const { userId, email, password } = input;
  if (!isValidUserId(userId)) throw new OperatorError("--user-id must be 2–36 lowercase letters, digits and single hyphens");
  if (!isValidEmail(email)) throw new OperatorError("--email must be a valid e-mail address");
  checkPassword(password, userId, config.passwordRequirements);
  const now = new Date();
  try {
    await createUser(db, {
      userId, primaryEmailAddress: email, passwordHash: await hashPassword(password), passwordUpdatedAt: now,
      admin: true, state: State.APPROVED, primaryEmailAddressValidatedAt: now,
    }, {});
  } catch (err) {
    if (isUniqueViolation(err)) throw new OperatorError(`a user with ID "${userId}" or e-mail "${email}" already exists`);
    throw err;
  }
}

/** Creates a key with exactly the given rights for any existing user; returns the token (shown once). */
export async function createApiKeyForUser(
  db: Db, input: { userId: string; rights: Right[]; name: string; expiresAt: Date | null },
): Promise<string> {
  if (!input.rights.length) throw new OperatorError("at least one --rights is required, e.g. --rights RIGHT_ALL");
  if ([...input.name].length > 50) throw new OperatorError("--name must be at most 50 characters");
  if (input.expiresAt && input.expiresAt <= new Date()) throw new OperatorError("--expires-in must be positive");
  const user = await findUser(db, input.userId);
  if (!user) throw new OperatorError(`user "${input.userId}" does not exist`);
  const { token } = await issueUserApiKey(db, user.id, { name: input.name, rights: [...new Set(input.rights)], expiresAt: input.expiresAt });
  return token;
}

export interface AuthProviderInput {
  providerId: string;
  name: string;
  allowRegistrations: boolean;
  oidc: { clientId?: string; clientSecret?: string; providerUrl?: string };
}

/**
 * Checks the operator's input with the same rules as AuthenticationProviderRegistry.Create, before any database
 * is opened. The OIDC options come all together or not at all.
 */
export function authProviderFromInput(input: AuthProviderInput): ProviderWrite {
  const { providerId, name, allowRegistrations } = input;
  if (!ENTITY_ID_PATTERN.test(providerId) || providerId.length > MAX_ID_LENGTH) {
    throw new OperatorError("--provider-id must be 3–36 lowercase letters, digits and single hyphens");
  }
  if ([...name].length > 50) throw new OperatorError("--name must be at most 50 characters");
  const { clientId, clientSecret, providerUrl } = input.oidc;
  const given = [clientId, clientSecret, providerUrl].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new OperatorError("--oidc-client-id, --oidc-client-secret and --oidc-provider-url go together: give all three or none");
  }
  if (given === 0) return { providerId, name, allowRegistrations, configuration: {} };
  if (!clientId) throw new OperatorError("--oidc-client-id must not be empty");
  if (!isHttpUrl(providerUrl!)) throw new OperatorError("--oidc-provider-url must be an absolute http(s) URL");
  return { providerId, name, allowRegistrations, configuration: { oidc: { clientId, clientSecret: clientSecret!, providerUrl: providerUrl! } } };
}

/** Stores a checked provider; the client secret is sealed (refused without a key) and never echoed. */
export async function createAuthenticationProvider(db: Db, provider: ProviderWrite, secrets: ProviderSecrets): Promise<void> {
  const configuration = secrets.sealConfiguration(provider.providerId, provider.configuration);
  try {
    await createProvider(db, { ...provider, configuration });
  } catch (err) {
    if (isUniqueViolation(err)) throw new OperatorError(`an authentication provider with ID "${provider.providerId}" already exists`);
    throw err;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** One page of live (or soft-deleted) users, newest first, and how many there are. */
export function listUsersForOperator(db: Db, input: { deleted: boolean; limit: number; page: number }): Promise<{ users: UserRow[]; total: number }> {
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > 1000) throw new OperatorError("--limit must be 1 to 1000");
  if (!Number.isInteger(input.page) || input.page < 1) throw new OperatorError("--page must be 1 or more");
  return listUsers(db, { deleted: input.deleted, order: "-created_at", take: input.limit, skip: (input.page - 1) * input.limit });
}

async function existingUser(db: Db, userId: string, scope: "active" | "deleted" = "active"): Promise<UserRow> {
  if (!isValidUserId(userId)) throw new OperatorError("--user-id must be 2–36 lowercase letters, digits and single hyphens");
  const user = await findUser(db, userId, scope);
  if (!user) throw new OperatorError(scope === "deleted" ? `user "${userId}" is not deleted` : `user "${userId}" does not exist`);
  return user;
}

/**
 * Gives the user a temporary password (replacing one still valid: the operator decides) that works only to set a
 * new password (UserRegistry.UpdatePassword, or the link) until it expires. Returns it, shown once; nothing is mailed.
 */
export async function resetPassword(db: Db, config: Config, userId: string): Promise<{ password: string; link: string; expiresAt: Date }> {
  const user = await existingUser(db, userId);
  const password = randomKey();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + config.temporaryPasswordTtlMs);
  // The operator's decision: a still-valid temporary password is replaced.
  await setTemporaryPassword(db, user.id, { hash: await hashPassword(password), createdAt: now, expiresAt }, { keepValid: false });
  const link = `${config.publicUrl}/oauth/update-password?user=${encodeURIComponent(userId)}&current=${encodeURIComponent(password)}`;
  return { password, link, expiresAt };
}

/** Soft-deletes the user and ends their sessions; restorable within RESTORE_WINDOW. */
export async function deleteUser(db: Db, userId: string): Promise<void> {
  const user = await existingUser(db, userId);
  await db.$transaction(async (tx) => {
    if (!(await softDeleteUser(tx, user.id, new Date()))) throw new OperatorError(`user "${userId}" does not exist`);
    await deleteUserSessions(tx, user.id);
  });
}

/** Restores a soft-deleted user deleted within RESTORE_WINDOW. */
export async function restoreDeletedUser(db: Db, config: Config, userId: string): Promise<void> {
  const user = await existingUser(db, userId, "deleted");
  const deletedSince = new Date(Date.now() - config.restoreWindowMs);
  if (user.deletedAt! < deletedSince) throw new OperatorError(`user "${userId}" was deleted before the restore window (RESTORE_WINDOW)`);
  try {
    if (!(await restoreUser(db, user.id, deletedSince))) throw new OperatorError(`user "${userId}" is not deleted`);
  } catch (err) {
    if (isUniqueViolation(err)) throw new OperatorError(`user "${userId}" cannot be restored: its e-mail address is in use by another user`);
    throw err;
  }
}

/** Deletes an API key, given its ID or the whole key (`NNSXS.<ID>.<secret>`); returns the ID. */
export async function revokeApiKey(db: Db, key: string): Promise<string> {
  const id = key.includes(".") ? key.split(".")[1] ?? "" : key;
  if (!/^[A-Z2-7]{1,64}$/.test(id)) throw new OperatorError("--key-id must be an API key ID or a whole API key");
  if (!(await deleteApiKey(db, id))) throw new OperatorError(`API key "${id}" does not exist`);
  return id;
}
