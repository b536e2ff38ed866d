// ttn.lorawan.v3.UserSessionRegistry: a user's own browser sessions, listed and ended.
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { UserSessionSchema, UserSessionsSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserSessionRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { requireUserRights } from "../auth/user-rights.js";
import * as errors from "../domain/error-catalog.js";
import { Right } from "../domain/rights.js";
import { page } from "../store/db.js";
import * as sessions from "../store/sessions.js";
import { callerOf, getUser, logOf, setTotalCount, type ServiceDeps } from "./context.js";
import { ts } from "./user-messages.js";

export function userSessionRegistry(deps: ServiceDeps): ServiceImpl<typeof UserSessionRegistry> {
  const { db, config } = deps;

  /** Both calls need the literal RIGHT_USER_ALL (admins only with ADMIN_RIGHTS_ALL), as upstream. */
  async function authorizedUser(userId: string, ctx: Parameters<typeof callerOf>[1]) {
    await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_ALL]);
    const user = await getUser(db, userId);
    return user;
  }

  return {
    async list(req, ctx) {
      const userId = req.userIds!.userId;
      const user = await authorizedUser(userId, ctx);
      const { sessions: rows, total } = await sessions.listUserSessions(db, user.id, {
        order: req.order,
        ...page(req.limit, req.page, config.defaultPageLimit),
      });
      setTotalCount(ctx, total);
      return create(UserSessionsSchema, {
        // Expired sessions are listed too (upstream); the secret never leaves the store.
        sessions: rows.map((s) =>
          create(UserSessionSchema, {
            userIds: req.userIds,
            sessionId: s.id,
            createdAt: ts(s.createdAt),
            updatedAt: ts(s.updatedAt),
            expiresAt: ts(s.expiresAt),
          }),
        ),
      });
    },

    async delete(req, ctx) {
      const userId = req.userIds!.userId;
      const user = await authorizedUser(userId, ctx);
      // Unknown, someone else's or not-a-UUID: all the same not-found.
      if (!(await sessions.deleteUserSession(db, user.id, req.sessionId))) {
        throw errors.userSessionNotFound({ user_id: userId, session_id: req.sessionId });
      }
      logOf(deps, ctx).info({ user_id: userId, session_id: req.sessionId }, "user session deleted");
      return create(EmptySchema);
    },
  };
}
