// ttn.lorawan.v3.NotificationService: Create for trusted cluster services, List and UpdateStatus
// for the receiving user, admins and cluster services.
import { create } from "@bufbuild/protobuf";
import { anyUnpack, AnySchema, EmptySchema, type Any } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  CreateNotificationResponseSchema, ListNotificationsResponseSchema, NotificationSchema, NotificationService,
  type Notification,
} from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { anyTypes } from "../../client/any-types.js";
import { requireClusterKey } from "../auth/caller.js";
import * as errors from "../domain/error-catalog.js";
import { requireUserRights } from "../auth/user-rights.js";
import { Right } from "../domain/rights.js";
import { createNotification } from "../notifications/create.js";
import { entityIdentifiers } from "../notifications/entity.js";
import { page } from "../store/db.js";
import { listReceivedNotifications, updateReceivedStatus, type ReceivedNotificationRow } from "../store/notifications.js";
import { callerOf, getUser, logOf, setTotalCount, type ServiceDeps } from "./context.js";
import { ts } from "./user-messages.js";

function notificationMessage({ notification: n, status, statusUpdatedAt }: ReceivedNotificationRow): Notification {
  return create(NotificationSchema, {
    id: n.id,
    createdAt: ts(n.createdAt),
    entityIds: entityIdentifiers({ type: n.entityType, id: n.entityId }),
    notificationType: n.notificationType,
    data: n.dataTypeUrl !== null ? create(AnySchema, { typeUrl: n.dataTypeUrl, value: new Uint8Array(n.dataValue ?? []) }) : undefined,
    senderIds: n.senderId ? { userId: n.senderId } : undefined,
    receivers: n.receivers,
    email: n.email,
    status,
    statusUpdatedAt: ts(statusUpdatedAt),
  });
}

/**
 * Data must be a message this server knows, as upstream requires (it stores data as JSON): JSON clients receive
 * it as `{"@type": …, …fields}`, which the data of an unknown type cannot be written as.
 */
function assertKnownData(data: Any | undefined): void {
  if (!data?.typeUrl) return; // `"data": {}`: no data
  let known = false;
  try {
    known = anyUnpack(data, anyTypes) !== undefined;
  } catch {
    // bytes that do not decode as the named type
  }
  if (!known) throw errors.validation.field("CreateNotificationRequest", "data", "not a message of a known type", "any.known_type");
}

export function notificationService(deps: ServiceDeps): ServiceImpl<typeof NotificationService> {
  const { db, config } = deps;

  /** The receiving user, after checking the caller may read its notifications. */
  async function receiver(userId: string, ctx: Parameters<typeof callerOf>[1]) {
    await requireUserRights(db, await callerOf(deps, ctx), userId, [Right.USER_NOTIFICATIONS_READ]);
    const user = await getUser(db, userId);
    return user;
  }

  return {
    async create(req, ctx) {
      requireClusterKey(ctx.requestHeader.get("authorization"), config.clusterKeys);
      assertKnownData(req.data);
      const id = await createNotification(deps, {
        entityIds: req.entityIds!,
        type: req.notificationType,
        data: req.data,
        senderUserId: req.senderIds?.userId || undefined,
        receivers: req.receivers,
        email: req.email,
      });
      return create(CreateNotificationResponseSchema, { id });
    },

    async list(req, ctx) {
      const user = await receiver(req.receiverIds!.userId, ctx);
      const { rows, total } = await listReceivedNotifications(db, user.id, {
        statuses: req.status, ...page(req.limit, req.page, config.defaultPageLimit),
      });
      setTotalCount(ctx, total);
      return create(ListNotificationsResponseSchema, { notifications: rows.map(notificationMessage) });
    },

    async updateStatus(req, ctx) {
      const user = await receiver(req.receiverIds!.userId, ctx);
      const count = await updateReceivedStatus(db, user.id, req.ids, req.status, deps.clock.now());
      logOf(deps, ctx).info({ user_id: user.userId, status: req.status, updated: count }, "notification status updated");
      return create(EmptySchema);
    },
  };
}
