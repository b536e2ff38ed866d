// The e-mail that accompanies a notification: one template per notification type, filled from
// the notification's entity and its data decoded into the type's message.
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { StateSchema } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { EntityStateChangedNotificationSchema } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { APIKeySchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { CreateUserRequestSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { rightName } from "../domain/rights.js";
import type { MailMessage } from "../mail/transport.js";
import { renderMail } from "../mail/templates.js";
import type { ReceiverRow } from "../store/notifications.js";
import { entityConsoleUrl, type EntityRef } from "./entity.js";

/**
 * Types with an e-mail template. Upstream also has client_requested and collaborator_changed; this service has
 * no clients or collaborators, so it never renders them. Other types are created without e-mail.
 */
export const EMAIL_TEMPLATES: ReadonlySet<string> = new Set([
  "api_key_created", "api_key_changed", "entity_state_changed", "password_changed", "user_requested",
]);

export interface NotificationContent {
  entity: EntityRef;
  type: string;
  data?: { typeUrl: string; value: Uint8Array };
}

/** The data as the type's message; a missing or mismatched payload is a render error. */
function decode<D extends DescMessage>(content: NotificationContent, schema: D): MessageShape<D> {
  const expected = `type.googleapis.com/${schema.typeName}`;
  if (content.data?.typeUrl !== expected) throw new Error(`${content.type} needs data of type ${schema.typeName}`);
  return fromBinary(schema, content.data.value);
}

function stateWord(state: number): string {
  const name = StateSchema.values.find((v) => v.number === state)?.name ?? String(state);
  return name.replace(/^STATE_/, "").toLowerCase();
}

export function renderNotificationMail(content: NotificationContent, receiver: ReceiverRow, publicUrl: string): MailMessage {
  const { entity, type } = content;
  const console = `${publicUrl}/console`;
  const values: Record<string, string> = {
    public_url: publicUrl,
    greeting: receiver.name || receiver.userId || "user",
    entity_type: entity.type,
    entity_id: entity.id,
  };
  switch (type) {
    case "api_key_created":
    case "api_key_changed": {
      const key = decode(content, APIKeySchema);
      const keyPath = `api-keys/${encodeURIComponent(key.id)}`;
      Object.assign(values, {
        key_id: key.id,
        key_name: key.name || "(no name)",
        rights: key.rights.map(rightName).join(", ") || "(none)",
        link: entity.type === "user" ? `${console}/user/${keyPath}` : `${entityConsoleUrl(publicUrl, entity)}/${keyPath}`,
      });
      break;
    }
    case "entity_state_changed": {
      const change = decode(content, EntityStateChangedNotificationSchema);
      Object.assign(values, {
        state: stateWord(change.state),
        state_description: change.stateDescription,
        link: entityConsoleUrl(publicUrl, entity, receiver.admin && receiver.userId !== entity.id),
      });
      break;
    }
    case "password_changed":
      values.user_id = entity.id;
      break;
    case "user_requested": {
      const user = decode(content, CreateUserRequestSchema).user;
      const userId = user?.ids?.userId ?? entity.id;
      Object.assign(values, {
        new_user_id: userId,
        new_user_name: user?.name || "(no name)",
        new_user_email: user?.primaryEmailAddress ?? "",
        link: `${console}/admin-panel/user-management/${encodeURIComponent(userId)}`,
      });
      break;
    }
    default:
      throw new Error(`no e-mail template for notification type ${type}`);
  }
  return renderMail(type, receiver.primaryEmailAddress, values);
}
