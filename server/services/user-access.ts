// ttn.lorawan.v3.UserAccess: the caller's rights on a user, the user's API keys, login tokens.
import { create } from "@bufbuild/protobuf";
import { EmptySchema, timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { APIKeySchema, APIKeysSchema, RightsSchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { CreateLoginTokenResponseSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserAccess } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { issueUserApiKey } from "../auth/api-key-issuer.js";
import { assertRights, isAdminWith, requireUserRights, rightsOnUser } from "../auth/user-rights.js";
import { describeDuration } from "../domain/durations.js";
import * as errors from "../domain/error-catalog.js";
import { fieldPaths } from "../domain/field-paths.js";
import { USER_POTENTIAL_RIGHTS, Right, intersect, sorted } from "../domain/rights.js";
import { digestSecret, randomKey } from "../domain/tokens.js";
import { renderMail } from "../mail/templates.js";
import * as raise from "../notifications/raise.js";
import * as apiKeys from "../store/api-keys.js";
import { page } from "../store/db.js";
import { countActiveLoginTokens, createLoginToken } from "../store/sessions.js";
import { findUser, lockUser } from "../store/users.js";
import { apiKeyMessage } from "./api-key-messages.js";
import { callerOf, callerOrAnonymous, getUser, logOf, setTotalCount, type ServiceDeps } from "./context.js";

/** Upstream allows at most this many unused, unexpired login tokens per user. */
const MAX_ACTIVE_LOGIN_TOKENS = 5;
export const API_KEY_PATHS: readonly string[] = fieldPaths(APIKeySchema);

export function userAccess(deps: ServiceDeps): ServiceImpl<typeof UserAccess> {
  const { db, config } = deps;

  return {
    async listRights(req, ctx) {
      const held = await rightsOnUser(db, await callerOf(deps, ctx), req.userId);
      return create(RightsSchema, { rights: sorted(intersect(held, USER_POTENTIAL_RIGHTS)) });
    },

    async createAPIKey(req, ctx) {
      const userId = req.userIds!.userId;
      const held = await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_SETTINGS_API_KEYS]);
      assertRights(held, userId, req.rights); // no key with more rights than its creator
      const user = await getUser(db, userId); // soft-deleted users' keys are out of reach (404)
      const expiresAt = req.expiresAt ? timestampDate(req.expiresAt) : null;
      const { key, token } = await issueUserApiKey(db, user.id, { name: req.name, rights: req.rights, expiresAt });
      logOf(deps, ctx).info({ user_id: userId, api_key_id: key.id }, "API key created");
      raise.apiKeyCreated(deps, ctx, userId, apiKeyMessage(key));
      return apiKeyMessage(key, token);
    },

    async listAPIKeys(req, ctx) {
      const userId = req.userIds!.userId;
      await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_SETTINGS_API_KEYS]);
      const user = await getUser(db, userId);
      const { keys, total } = await apiKeys.listUserApiKeys(db, user.id, { order: req.order, ...page(req.limit, req.page, config.defaultPageLimit) });
      setTotalCount(ctx, total);
      return create(APIKeysSchema, { apiKeys: keys.map((k) => apiKeyMessage(k)) });
    },

    async getAPIKey(req, ctx) {
      const userId = req.userIds!.userId;
      await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_SETTINGS_API_KEYS]);
      const user = await getUser(db, userId);
      const key = await apiKeys.findUserApiKey(db, user.id, req.keyId);
      if (!key) throw errors.apiKeyNotFound({ api_key_id: req.keyId, entity_type: "user", entity_id: userId });
      return apiKeyMessage(key);
    },

    async updateAPIKey(req, ctx) {
      const userId = req.userIds!.userId;
      const given = req.apiKey!;
      const held = await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_SETTINGS_API_KEYS]);
      // An empty mask means name and rights, for clients older than field masks (upstream).
      const paths = req.fieldMask?.paths.length ? req.fieldMask.paths : ["rights", "name"];
      const user = await getUser(db, userId);
      const notFound = () => errors.apiKeyNotFound({ api_key_id: given.id, entity_type: "user", entity_id: userId });

      return raise.apiKeyChanged(deps, ctx, userId, await db.$transaction(async (tx) => {
        // Updates of one user's keys take turns, so the rights checked below are the rights being changed.
        await lockUser(tx, user.id);
        const current = await apiKeys.findUserApiKey(tx, user.id, given.id);
        if (!current) throw notFound();
        if (given.rights.length) {
          // Only the change is checked: every right added and every right removed must be the caller's own.
          const before = new Set(current.rights as Right[]);
          const after = new Set(given.rights);
          const changed = [...given.rights.filter((r) => !before.has(r)), ...[...before].filter((r) => !after.has(r))];
          assertRights(held, userId, changed);
        } else if (paths.includes("rights")) {
          // Deprecated upstream behaviour kept for old clients: no rights means delete the key.
          await apiKeys.deleteUserApiKey(tx, user.id, given.id);
          logOf(deps, ctx).info({ user_id: userId, api_key_id: given.id }, "API key deleted by update");
          return create(APIKeySchema);
        }
        const data: Parameters<typeof apiKeys.updateApiKey>[2] = {};
        if (paths.includes("name")) data.name = given.name;
        if (paths.includes("rights")) data.rights = given.rights;
        if (paths.includes("expires_at")) data.expiresAt = given.expiresAt ? timestampDate(given.expiresAt) : null;
        const updated = await apiKeys.updateApiKey(tx, given.id, data);
        if (!updated) throw notFound();
        logOf(deps, ctx).info({ user_id: userId, api_key_id: given.id }, "API key updated");
        return apiKeyMessage(updated);
      }));
    },

    async deleteAPIKey(req, ctx) {
      const userId = req.userIds!.userId;
      await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_SETTINGS_API_KEYS]);
      const user = await getUser(db, userId);
      if (!(await apiKeys.deleteUserApiKey(db, user.id, req.keyId))) {
        throw errors.apiKeyNotFound({ api_key_id: req.keyId, entity_type: "user", entity_id: userId });
      }
      logOf(deps, ctx).info({ user_id: userId, api_key_id: req.keyId }, "API key deleted");
      return create(EmptySchema);
    },

    async createLoginToken(req, ctx) {
      if (!config.loginTokens.enabled) throw errors.loginTokensDisabled();
      const userId = req.userIds!.userId;
      const caller = await callerOrAnonymous(deps, ctx);
      // Skipping the e-mail and receiving the token need the admin-field right too.
      const admin = caller ? isAdminWith(caller, Right.USER_SETTINGS_BASIC) : false;
      const user = await findUser(db, userId);
      if (!user) throw errors.entityNotFound({ entity_type: "user", entity_id: userId });
      const token = randomKey();
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + config.loginTokens.ttlMs);
      const emailed = !(admin && req.skipEmail);
      await db.$transaction(async (tx) => {
        await lockUser(tx, user.id); // parallel requests take turns, so the cap holds
        const active = await countActiveLoginTokens(tx, user.id, now);
        if (active >= MAX_ACTIVE_LOGIN_TOKENS) throw errors.loginTokensStillValid();
        // Only a digest is stored (upstream keeps the token in plain text).
        await createLoginToken(tx, { userId: user.id, tokenHash: digestSecret(token), expiresAt });
        if (emailed) {
          await deps.mail.enqueue("login_token", renderMail("login_token", user.primaryEmailAddress, {
            greeting: user.name || userId, user_id: userId, token,
            link: `${config.publicUrl}/oauth/token-login?token=${encodeURIComponent(token)}`,
            ttl: describeDuration(config.loginTokens.ttlMs),
          }), tx);
        }
      });
      logOf(deps, ctx).info({ user_id: userId, emailed }, "login token created");
      // Only an admin gets the token itself, and never for another admin (upstream).
      return create(CreateLoginTokenResponseSchema, { token: admin && !user.admin ? token : "" });
    },
  };
}
