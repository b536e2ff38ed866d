// The notifications this service raises itself, each after its RPC succeeded, in the background:
// a failure is logged and never reaches the caller. Handlers call one function each.
import { clone, create, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { EntityIdentifiersSchema } from "../../gen/ttn/lorawan/v3/identifiers_pb.js";
import { EntityStateChangedNotificationSchema, NotificationReceiver } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { APIKeySchema, type APIKey } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { CreateUserRequestSchema, UserSchema, type User } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { callerOrAnonymous, withRequestLog, type ServiceDeps } from "../services/context.js";
import { createNotification, type NewNotification } from "./create.js";

const userEntity = (userId: string) => create(EntityIdentifiersSchema, { ids: { case: "userIds", value: { userId } } });

function packed<D extends DescMessage>(schema: D, message: MessageShape<D>) {
  return create(AnySchema, { typeUrl: `type.googleapis.com/${schema.typeName}`, value: toBinary(schema, message) });
}

function raise(deps: ServiceDeps, ctx: HandlerContext | undefined, notification: Omit<NewNotification, "email" | "senderUserId">): void {
  deps.background.run(`notification ${notification.type}`, async () => {
    // The sender is the user behind the credential, when there is one (already resolved and cached by the handler).
    const sender = ctx ? (await callerOrAnonymous(deps, ctx))?.user?.userId : undefined;
    await createNotification(ctx ? withRequestLog(deps, ctx) : deps, { ...notification, senderUserId: sender, email: true });
  });
}

function keyWithoutSecret(key: APIKey): APIKey {
  const copy = clone(APIKeySchema, key);
  copy.key = "";
  return copy;
}

/** UserAccess.CreateAPIKey: the key's owner learns about the new key. */
export function apiKeyCreated(deps: ServiceDeps, ctx: HandlerContext, userId: string, key: APIKey): void {
  raise(deps, ctx, {
    entityIds: userEntity(userId), type: "api_key_created",
    data: packed(APIKeySchema, keyWithoutSecret(key)), receivers: [NotificationReceiver.ADMINISTRATIVE_CONTACT],
  });
}

/** UserAccess.UpdateAPIKey; returns the response unchanged. An update that deleted the key (empty ID) raises nothing. */
export function apiKeyChanged(deps: ServiceDeps, ctx: HandlerContext, userId: string, key: APIKey): APIKey {
  if (key.id) {
    raise(deps, ctx, {
      entityIds: userEntity(userId), type: "api_key_changed",
      data: packed(APIKeySchema, keyWithoutSecret(key)), receivers: [NotificationReceiver.ADMINISTRATIVE_CONTACT],
    });
  }
  return key;
}

/** UserRegistry.UpdatePassword (no credential involved, so no sender). */
export function passwordChanged(deps: ServiceDeps, userId: string): void {
  raise(deps, undefined, { entityIds: userEntity(userId), type: "password_changed", receivers: [NotificationReceiver.COLLABORATOR] });
}

/**
 * UserRegistry.Create: a self-registered user waiting for approval is announced to every admin, as stored
 * (not as requested: a registration cannot claim admin or state in the admins' inbox), without secrets.
 */
export function userRequested(deps: ServiceDeps, created: User): void {
  if (created.state !== State.REQUESTED || !created.ids) return;
  const user = clone(UserSchema, created);
  user.password = "";
  user.temporaryPassword = "";
  raise(deps, undefined, {
    entityIds: userEntity(created.ids.userId), type: "user_requested", toAdmins: true,
    data: packed(CreateUserRequestSchema, create(CreateUserRequestSchema, { user })), receivers: [NotificationReceiver.ADMINISTRATIVE_CONTACT],
  });
}

/** UserRegistry.Update touching `state`: the user learns its new state. */
export function entityStateChanged(
  deps: ServiceDeps, ctx: HandlerContext, userId: string, paths: readonly string[], user: { state: number; stateDescription: string },
): void {
  if (!paths.includes("state")) return;
  raise(deps, ctx, {
    entityIds: userEntity(userId), type: "entity_state_changed",
    data: packed(EntityStateChangedNotificationSchema, create(EntityStateChangedNotificationSchema, {
      state: user.state, stateDescription: user.stateDescription,
    })),
    receivers: [NotificationReceiver.COLLABORATOR],
  });
}
