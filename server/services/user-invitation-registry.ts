// ttn.lorawan.v3.UserInvitationRegistry: admins invite addresses to register; the token is accepted
// by UserRegistry.Create (store/invitations.ts acceptInvitation).
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { InvitationSchema, InvitationsSchema, type Invitation } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserInvitationRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import * as errors from "../domain/error-catalog.js";
import { describeDuration } from "../domain/durations.js";
import { Right } from "../domain/rights.js";
import { randomKey } from "../domain/tokens.js";
import { renderMail } from "../mail/templates.js";
import { page } from "../store/db.js";
import * as invitations from "../store/invitations.js";
import { callerOf, logOf, setTotalCount, type ServiceDeps } from "./context.js";
import { ts } from "./user-messages.js";

export function userInvitationRegistry(deps: ServiceDeps): ServiceImpl<typeof UserInvitationRegistry> {
  const { db, config } = deps;

  /**
   * The universal right RIGHT_SEND_INVITES: an approved admin whose credential carries it. Anonymous callers,
   * non-admins, narrow admin keys and cluster peers (whose universal rights never include it) are refused;
   * a bad credential fails authentication first.
   */
  async function requireInviteRights(ctx: HandlerContext): Promise<void> {
    const caller = await callerOf(deps, ctx);
    if (!caller.universalRights.has(Right.SEND_INVITES)) throw errors.noInviteRights();
  }

  return {
    async send(req, ctx) {
      await requireInviteRights(ctx);
      const email = req.email; // stored as given (e.g. `Name <a@b.c>` passes validation), as upstream
      const now = deps.clock.now();
      const row = await db.$transaction(async (tx) => {
        // Whether someone already has this address is not checked, as upstream: such a
        // sign-up fails later on the taken address, and refusing here would tell inviters who is registered.
        const created = await invitations.createInvitation(tx, {
          email, token: randomKey(), createdAt: now, expiresAt: new Date(now.getTime() + config.registration.invitationTokenTtlMs),
        });
        // In the outbox within the same transaction: the mail goes out exactly when the invitation exists.
        await deps.mail.enqueue("invitation", renderMail("invitation", email, {
          public_url: config.publicUrl,
          link: `${config.publicUrl}/oauth/register?invitation_token=${encodeURIComponent(created.token)}`,
          console_url: `${config.publicUrl}/console`,
          expires_in: describeDuration(config.registration.invitationTokenTtlMs),
        }), tx);
        return created;
      });
      logOf(deps, ctx).info({ invitation_id: row.id }, "invitation sent"); // neither address nor token in logs
      return toInvitationMessage(row);
    },

    async list(req, ctx) {
      await requireInviteRights(ctx);
      const result = await invitations.listInvitations(db, page(req.limit, req.page, config.defaultPageLimit));
      setTotalCount(ctx, result.total);
      return create(InvitationsSchema, { invitations: result.invitations.map(toInvitationMessage) });
    },

    async delete(req, ctx) {
      await requireInviteRights(ctx);
      if (!(await invitations.deleteInvitationByEmail(db, req.email))) throw errors.invitationNotFound();
      logOf(deps, ctx).info("invitation deleted");
      return create(EmptySchema);
    },
  };
}

function toInvitationMessage(row: invitations.InvitationRow): Invitation {
  return create(InvitationSchema, {
    email: row.email,
    token: row.token,
    expiresAt: ts(row.expiresAt),
    createdAt: ts(row.createdAt),
    updatedAt: ts(row.updatedAt),
    acceptedAt: ts(row.acceptedAt),
    // Absent when the accepting user was purged (the foreign key is set to NULL).
    acceptedBy: row.acceptedBy ? { userId: row.acceptedBy.userId } : undefined,
  });
}
