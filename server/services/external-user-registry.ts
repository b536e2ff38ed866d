// tti.lorawan.v3.ExternalUserRegistry: admin-only links between local users and their accounts at an
// authentication provider, looked up both ways.
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ExternalUserRegistry, ExternalUserSchema, type ExternalUser } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import * as errors from "../domain/error-catalog.js";
import { Right } from "../domain/rights.js";
import { findProvider } from "../store/authentication-providers.js";
import { withUniqueness } from "../store/db.js";
import * as links from "../store/external-users.js";
import { lockUser } from "../store/users.js";
import { getUser, logOf, requireAdminWith, type ServiceDeps } from "./context.js";
import { ts } from "./user-messages.js";

function toExternalUserMessage(row: links.ExternalUserRow): ExternalUser {
  return create(ExternalUserSchema, {
    userIds: { userId: row.user.userId },
    providerIds: { providerId: row.provider.providerId },
    createdAt: ts(row.createdAt),
    updatedAt: ts(row.updatedAt),
    externalId: row.externalId,
  });
}

export function externalUserRegistry(deps: ServiceDeps): ServiceImpl<typeof ExternalUserRegistry> {
  const { db } = deps;
  return {
    async create(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_SETTINGS_BASIC);
      const link = req.externalUser!;
      const providerId = link.providerIds!.providerId;
      const userId = link.userIds!.userId;
      const provider = await findProvider(db, providerId);
      if (!provider) throw errors.authenticationProviderNotFound({ provider_id: providerId });
      const user = await getUser(db, userId);
      // Timestamps are the server's; whatever the client sent is ignored.
      const row = await withUniqueness(() =>
        links.createExternalUser(db, { userId: user.id, providerId: provider.id, externalId: link.externalId }));
      logOf(deps, ctx).info({ provider_id: providerId, user_id: userId }, "external user linked");
      return toExternalUserMessage(row);
    },

    async getByUserID(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_INFO);
      const providerId = req.providerIds!.providerId;
      const userId = req.userIds!.userId;
      const row = await links.findByUserId(db, providerId, userId);
      if (!row) throw errors.externalUserNotFound({ provider_id: providerId, user_id: userId });
      return toExternalUserMessage(row);
    },

    async getByExternalID(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_INFO);
      const providerId = req.providerIds!.providerId;
      const row = await links.findByExternalId(db, providerId, req.externalId);
      if (!row) throw errors.externalUserNotFound({ provider_id: providerId, external_id: req.externalId });
      return toExternalUserMessage(row);
    },

    async delete(req, ctx) {
      await requireAdminWith(deps, ctx, Right.USER_SETTINGS_BASIC);
      const providerId = req.providerIds!.providerId;
      const deleted = await db.$transaction(async (tx) => {
        const found = await links.findLinkOwner(tx, providerId, req.externalId);
        if (!found) return false;
        // Two admins removing a user's last two links at once take turns, so the second sees the first's delete.
        await lockUser(tx, found.id);
        const owner = await links.findLinkOwner(tx, providerId, req.externalId);
        if (!owner) return false;
        // Registered through a provider, the user knows no password: without a link they could not sign in.
        if (owner.passwordUnusable && owner.links <= 1) throw errors.lastExternalUser({ user_id: owner.userId });
        return links.deleteByExternalId(tx, providerId, req.externalId);
      });
      if (!deleted) throw errors.externalUserNotFound({ provider_id: providerId, external_id: req.externalId });
      logOf(deps, ctx).info({ provider_id: providerId }, "external user unlinked");
      return create(EmptySchema);
    },
  };
}
