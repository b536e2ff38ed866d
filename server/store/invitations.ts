import type { Prisma } from "../../prisma/generated/client.js";
import * as errors from "../domain/error-catalog.js";
import { isUniqueViolation, type Db } from "./db.js";

export type InvitationOutcome = "accepted" | "not_found" | "already_used" | "expired";

/**
 * Marks an invitation as accepted by a new user; run in the user's creation transaction so both happen or
 * neither. One conditional update, so two registrations racing for one token cannot both win; only when it
 * matched nothing is the row read, to say why.
 */
export async function acceptInvitation(db: Db, token: string, userInternalId: string, now: Date): Promise<InvitationOutcome> {
  const { count } = await db.invitation.updateMany({
    where: { token, acceptedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    data: { acceptedAt: now, acceptedById: userInternalId },
  });
  if (count) return "accepted";
  const invitation = await db.invitation.findUnique({ where: { token }, select: { acceptedAt: true, expiresAt: true } });
  if (!invitation) return "not_found";
  return invitation.acceptedAt ? "already_used" : "expired";
}

/** What an invitation read returns; the token is included because upstream's List shows it to admins. */
const invitationColumns = {
  id: true, email: true, token: true, expiresAt: true, acceptedAt: true, createdAt: true, updatedAt: true,
  acceptedBy: { select: { userId: true } },
} satisfies Prisma.InvitationSelect;

export type InvitationRow = Prisma.InvitationGetPayload<{ select: typeof invitationColumns }>;

/**
 * Stores a new invitation. One address, compared case-insensitively (unique index invitations_email_lower_key),
 * gets one invitation, whether or not an earlier one expired or was accepted: the admin deletes it first.
 */
export async function createInvitation(
  db: Db, data: { email: string; token: string; createdAt: Date; expiresAt: Date },
): Promise<InvitationRow> {
  try {
    return await db.invitation.create({ data, select: invitationColumns });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.invitationAlreadySent({ email: data.email });
    throw err;
  }
}

/** Every invitation in the system (no sender is stored), oldest first. */
export async function listInvitations(
  db: Db, options: { take: number; skip: number },
): Promise<{ invitations: InvitationRow[]; total: number }> {
  const [invitations, total] = await Promise.all([
    db.invitation.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: options.take, skip: options.skip, select: invitationColumns }),
    db.invitation.count(),
  ]);
  return { invitations, total };
}

/**
 * Hard-deletes the invitation for `email`, matched case-insensitively. Raw SQL because Prisma's insensitive
 * equality is ILIKE, where `_` and `%` in an address would act as wildcards.
 */
export async function deleteInvitationByEmail(db: Db, email: string): Promise<boolean> {
  const count = await db.$executeRaw`DELETE FROM "invitations" WHERE lower("email") = lower(${email})`;
  return count > 0;
}
