// Creating a notification, shared by NotificationService.Create and the service's own notifications:
// resolve receiving users, store the notification with one receiver row each, and queue its e-mails in the
// same transaction so they are sent exactly when the notification exists.
import type { Any } from "@bufbuild/protobuf/wkt";
import type { EntityIdentifiers } from "../../gen/ttn/lorawan/v3/identifiers_pb.js";
import type { NotificationReceiver } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import * as errors from "../domain/error-catalog.js";
import type { MailMessage } from "../mail/transport.js";
import type { Db } from "../store/db.js";
import { findAdminReceivers, findReceiver, insertNotification, type ReceiverRow } from "../store/notifications.js";
import type { ServiceDeps } from "../services/context.js";
import { EMAIL_TEMPLATES, renderNotificationMail } from "./email.js";
import { entityRef, type EntityRef } from "./entity.js";

export interface NewNotification {
  entityIds: EntityIdentifiers;
  type: string;
  data?: Any;
  senderUserId?: string;
  receivers: NotificationReceiver[];
  email: boolean;
  /** Deliver to every admin instead of resolving receivers from the entity (user_requested). */
  toAdmins?: boolean;
}

/**
 * Our only entities are users, and a user has no contacts or collaborators: a user entity is received by the
 * user itself, any other entity by nobody (its contacts live in another service).
 */
async function resolveReceivers(db: Db, entity: EntityRef, toAdmins: boolean): Promise<ReceiverRow[]> {
  if (toAdmins) return findAdminReceivers(db);
  if (entity.type !== "user") return [];
  const user = await findReceiver(db, entity.id);
  if (!user) throw errors.entityNotFound({ entity_type: "user", entity_id: entity.id });
  return [user];
}

export async function createNotification(deps: ServiceDeps, input: NewNotification): Promise<string> {
  const { db, logger, config, mail } = deps;
  const entity = entityRef(input.entityIds);
  let email = input.email;
  if (email && !EMAIL_TEMPLATES.has(input.type)) {
    logger.warn({ notification_type: input.type }, "no e-mail template for notification type, e-mail disabled");
    email = false;
  }
  const data = input.data ? { typeUrl: input.data.typeUrl, value: input.data.value } : undefined;

  return db.$transaction(async (tx) => {
    const receivers = await resolveReceivers(tx, entity, input.toAdmins ?? false);
    if (!receivers.length) throw errors.noReceiverUserIds();
    if (input.senderUserId && !(await findReceiver(tx, input.senderUserId))) {
      throw errors.entityNotFound({ entity_type: "user", entity_id: input.senderUserId });
    }
    let mails: MailMessage[] = [];
    if (email) {
      try {
        mails = receivers.map((r) => renderNotificationMail({ entity, type: input.type, data }, r, config.publicUrl));
      } catch (err) {
        // Upstream fails the call after storing; we store the notification and report that no e-mail went out.
        logger.warn({ notification_type: input.type, error: (err as Error).message }, "notification e-mail not rendered");
        email = false;
      }
    }
    const id = await insertNotification(tx, {
      entityType: entity.type,
      entityId: entity.id,
      notificationType: input.type,
      dataTypeUrl: data?.typeUrl ?? null,
      dataValue: data?.value ?? null,
      senderId: input.senderUserId ?? null,
      receivers: input.receivers,
      email,
    }, receivers.map((r) => r.id), new Date());
    // A notification reports on an action that happened: over a recipient's cap its mail is dropped, not the action.
    for (const message of mails) await mail.enqueue(input.type, message, tx, { notification: true });
    logger.info({ notification_id: id, notification_type: input.type, receivers: receivers.length, email }, "notification created");
    return id;
  });
}
