// Notifications and their per-user receiver rows.
import type { Prisma } from "../../prisma/generated/client.js";
import { isUuid, type Db } from "./db.js";

const isNotificationId = isUuid;

export interface NotificationWrite {
  entityType: string;
  entityId: string;
  notificationType: string;
  dataTypeUrl: string | null;
  dataValue: Uint8Array | null;
  senderId: string | null;
  receivers: number[];
  email: boolean;
}

/** A user who receives notifications, with what a notification e-mail needs. */
const receiverColumns = {
  id: true, userId: true, name: true, primaryEmailAddress: true, admin: true,
} satisfies Prisma.UserSelect;
export type ReceiverRow = Prisma.UserGetPayload<{ select: typeof receiverColumns }>;

export function findReceiver(db: Db, userId: string): Promise<ReceiverRow | null> {
  return db.user.findFirst({ where: { userId, deletedAt: null }, select: receiverColumns });
}

/** Every admin who is not deleted: they receive requests for approval (user_requested). */
export function findAdminReceivers(db: Db): Promise<ReceiverRow[]> {
  return db.user.findMany({ where: { admin: true, deletedAt: null }, select: receiverColumns, orderBy: { userId: "asc" } });
}

/** Stores the notification and one UNSEEN receiver row per user, `status_updated_at` = creation time. */
export async function insertNotification(db: Db, data: NotificationWrite, receiverIds: string[], createdAt: Date): Promise<string> {
  const row = await db.notification.create({
    data: {
      ...data,
      dataValue: data.dataValue ? Buffer.from(data.dataValue) : null,
      createdAt,
      recipients: { create: receiverIds.map((userId) => ({ userId, status: 0, statusUpdatedAt: createdAt })) },
    },
    select: { id: true },
  });
  return row.id;
}

const notificationColumns = {
  id: true, createdAt: true, entityType: true, entityId: true, notificationType: true, dataTypeUrl: true,
  dataValue: true, senderId: true, receivers: true, email: true,
} satisfies Prisma.NotificationSelect;

export type ReceivedNotificationRow = {
  status: number;
  statusUpdatedAt: Date | null;
  notification: Prisma.NotificationGetPayload<{ select: typeof notificationColumns }>;
};

/** One user's notifications, newest first (ID breaks ties), optionally only those in `statuses`. */
export async function listReceivedNotifications(
  db: Db,
  userInternalId: string,
  options: { statuses: number[]; take: number; skip: number },
): Promise<{ rows: ReceivedNotificationRow[]; total: number }> {
  const where: Prisma.NotificationReceiverWhereInput = {
    userId: userInternalId,
    ...(options.statuses.length ? { status: { in: options.statuses } } : {}),
  };
  const [rows, total] = await Promise.all([
    db.notificationReceiver.findMany({
      where,
      orderBy: [{ notification: { createdAt: "desc" } }, { notificationId: "desc" }],
      take: options.take,
      skip: options.skip,
      select: { status: true, statusUpdatedAt: true, notification: { select: notificationColumns } },
    }),
    db.notificationReceiver.count({ where }),
  ]);
  return { rows, total };
}

/** Sets the status of this user's rows among `ids`; other users' and unknown IDs are left alone. */
export async function updateReceivedStatus(db: Db, userInternalId: string, ids: string[], status: number, now: Date): Promise<number> {
  const valid = ids.filter(isNotificationId);
  if (!valid.length) return 0;
  const { count } = await db.notificationReceiver.updateMany({
    where: { userId: userInternalId, notificationId: { in: valid } },
    data: { status, statusUpdatedAt: now },
  });
  return count;
}
