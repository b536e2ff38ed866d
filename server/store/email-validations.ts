// Validations of users' primary e-mail addresses (EmailValidationRegistry). At most one is open (unused) per
// user: a new request for another address supersedes the open one, a repeated request refreshes it.
import type { Db } from "./db.js";

export interface EmailValidationRow {
  id: string;
  reference: string;
  tokenHash: string;
  userId: string;
  emailAddress: string;
  expiresAt: Date;
  used: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The user's open validation, if any (expired ones included: a refresh revives them). */
export function findOpenValidation(db: Db, userInternalId: string): Promise<EmailValidationRow | null> {
  return db.emailValidation.findFirst({ where: { userId: userInternalId, used: false } });
}

export function findValidationByReference(db: Db, reference: string): Promise<EmailValidationRow | null> {
  return db.emailValidation.findUnique({ where: { reference } });
}

export function createValidation(db: Db, data: Omit<EmailValidationRow, "id" | "used">): Promise<EmailValidationRow> {
  return db.emailValidation.create({ data });
}

/** A new token and lifetime for an open validation (a repeated request after the retry interval). */
export function refreshValidation(db: Db, id: string, tokenHash: string, expiresAt: Date, now: Date): Promise<EmailValidationRow> {
  return db.emailValidation.update({ where: { id }, data: { tokenHash, expiresAt, updatedAt: now } });
}

/** Closes the user's open validations (superseded); returns how many. */
export async function closeOpenValidations(db: Db, userInternalId: string, now: Date): Promise<number> {
  const { count } = await db.emailValidation.updateMany({ where: { userId: userInternalId, used: false }, data: { used: true, updatedAt: now } });
  return count;
}

/**
 * Uses the validation and marks the address validated, if the validation is still open and the address is
 * still the user's primary one. One conditional write each, so of parallel confirmations exactly one succeeds.
 */
export async function useValidation(db: Db, row: EmailValidationRow, now: Date): Promise<"used" | "already_used" | "address_changed"> {
  const { count } = await db.emailValidation.updateMany({ where: { id: row.id, used: false }, data: { used: true, expiresAt: now, updatedAt: now } });
  if (!count) return "already_used";
  const validated = await db.user.updateMany({
    where: { id: row.userId, deletedAt: null, primaryEmailAddress: { equals: row.emailAddress, mode: "insensitive" } },
    data: { primaryEmailAddressValidatedAt: now, updatedAt: now },
  });
  return validated.count ? "used" : "address_changed";
}
