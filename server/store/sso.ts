// Single sign-on in progress: logins waiting for the provider's callback, and provider identities waiting for the
// password that links them to an existing account. Both are short-lived and used once.
import { isUniqueViolation, type Db } from "./db.js";

export interface NewSsoLogin {
  stateHash: string;
  bindingHash: string;
  providerId: string;
  nonce: string;
  codeVerifier: string;
  next: string;
  createdAt: Date;
  expiresAt: Date;
}

export async function createSsoLogin(db: Db, login: NewSsoLogin): Promise<void> {
  await db.ssoLogin.create({ data: login, select: { id: true } });
}

export type SsoLoginRow = NewSsoLogin & { id: string };

/**
 * Takes the login with this state out of the store and returns it; undefined when there is none. Two callbacks
 * with the same state race for the delete, and only the one that removed the row gets it.
 */
export async function takeSsoLogin(db: Db, stateHash: string): Promise<SsoLoginRow | undefined> {
  const row = await db.ssoLogin.findUnique({ where: { stateHash } });
  if (!row) return undefined;
  const { count } = await db.ssoLogin.deleteMany({ where: { id: row.id } });
  return count === 1 ? row : undefined;
}

export interface NewPendingLink {
  secretHash: string;
  providerId: string;
  externalId: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
}

export async function createPendingLink(db: Db, link: NewPendingLink): Promise<string> {
  const { id } = await db.ssoPendingLink.create({ data: link, select: { id: true } });
  return id;
}

const pendingLinkColumns = {
  id: true, secretHash: true, externalId: true, expiresAt: true,
  provider: { select: { id: true, providerId: true, name: true } },
  user: { select: { id: true, userId: true, primaryEmailAddress: true, deletedAt: true } },
} as const;

export function findPendingLink(db: Db, id: string) {
  return db.ssoPendingLink.findUnique({ where: { id }, select: pendingLinkColumns });
}

export type PendingLinkRow = NonNullable<Awaited<ReturnType<typeof findPendingLink>>>;

/** Removes the pending link; false when another request already used it. */
export async function deletePendingLink(db: Db, id: string): Promise<boolean> {
  const { count } = await db.ssoPendingLink.deleteMany({ where: { id } });
  return count === 1;
}

/** Drops what expired before `now`; called as new logins start, so the tables stay small without a timer. */
export async function sweepExpiredSso(db: Db, now: Date): Promise<void> {
  await db.ssoLogin.deleteMany({ where: { expiresAt: { lt: now } } });
  await db.ssoPendingLink.deleteMany({ where: { expiresAt: { lt: now } } });
}

/** Which of `userIds` are taken, by active or deleted users alike (a deleted user's ID stays reserved). */
export async function takenUserIds(db: Db, userIds: string[]): Promise<Set<string>> {
  const rows = await db.user.findMany({ where: { userId: { in: userIds } }, select: { userId: true } });
  return new Set(rows.map((r) => r.userId));
}

/** The active user holding an e-mail address (case-insensitively, as the unique index compares them). */
export function findUserByEmail(db: Db, email: string) {
  return db.user.findFirst({
    where: { primaryEmailAddress: { equals: email, mode: "insensitive" }, deletedAt: null },
    select: { id: true, userId: true, passwordUnusable: true },
  });
}

/**
 * Brings a linked user's name and e-mail address in line with the provider's claims. An address another account
 * holds meanwhile stays unchanged (the unique index decides); the name is updated regardless.
 */
export async function refreshProfile(db: Db, userInternalId: string, claims: { name?: string; email?: string; now: Date }): Promise<void> {
  const current = await db.user.findUnique({ where: { id: userInternalId }, select: { name: true, primaryEmailAddress: true } });
  if (!current) return;
  const name = claims.name !== undefined && claims.name !== current.name ? claims.name : undefined;
  const email = claims.email !== undefined && claims.email !== current.primaryEmailAddress ? claims.email : undefined;
  if (name === undefined && email === undefined) return;
  const data = { ...(name !== undefined ? { name } : {}), updatedAt: claims.now };
  if (email !== undefined) {
    try {
      await db.user.update({ where: { id: userInternalId }, data: { ...data, primaryEmailAddress: email, primaryEmailAddressValidatedAt: claims.now }, select: { id: true } });
      return;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  if (name !== undefined) await db.user.update({ where: { id: userInternalId }, data, select: { id: true } });
}
