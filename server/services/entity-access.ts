// ttn.lorawan.v3.EntityAccess.AuthInfo: who the caller is, as resolved for every other call.
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UserSessionSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { AuthInfoResponse_APIKeyAccessSchema, AuthInfoResponseSchema, EntityAccess, type AuthInfoResponse } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import type { Caller } from "../auth/caller.js";
import { RightsSchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { sorted } from "../domain/rights.js";
import { callerOf, type ServiceDeps } from "./context.js";
import { apiKeyMessage } from "./api-key-messages.js";
import { ts } from "./user-messages.js";

export function entityAccess(deps: ServiceDeps): ServiceImpl<typeof EntityAccess> {
  // A caller never changes once built (cached credentials share theirs), so neither does its answer.
  const answers = new WeakMap<Caller, AuthInfoResponse>();
  return {
    async authInfo(_req, ctx) {
      const caller = await callerOf(deps, ctx);
      let response = answers.get(caller);
      if (!response) answers.set(caller, (response = authInfoOf(caller)));
      return response;
    },
  };
}

/** Who the caller is, as AuthInfo tells it. */
function authInfoOf(caller: Caller): AuthInfoResponse {
  const credential = caller.credential;
  const response = create(AuthInfoResponseSchema, { isAdmin: caller.isAdmin });
  // Unset rather than empty for everyone without universal rights: anonymous callers get an empty message.
  if (caller.universalRights.size) response.universalRights = create(RightsSchema, { rights: sorted(caller.universalRights) });
  if (credential.kind === "api-key") {
    response.accessMethod = {
      case: "apiKey",
      value: create(AuthInfoResponse_APIKeyAccessSchema, {
        // The key as it acts now: implied and state-restricted rights, never the secret.
        apiKey: apiKeyMessage({ ...credential.key, rights: sorted(caller.rights) }),
        entityIds: { ids: { case: "userIds", value: { userId: credential.user.userId } } },
      }),
    };
  } else if (credential.kind === "session") {
    const session = credential.session;
    response.accessMethod = {
      case: "userSession",
      value: create(UserSessionSchema, {
        userIds: { userId: credential.user.userId },
        sessionId: session.id,
        createdAt: ts(session.createdAt),
        updatedAt: ts(session.updatedAt),
        expiresAt: ts(session.expiresAt),
        // session_secret stays blank
      }),
    };
  }
  return response;
}
