// The entity a notification is about, stored as a type and an ID string (only the ID fields survive).
import { create } from "@bufbuild/protobuf";
import { EntityIdentifiersSchema, type EntityIdentifiers } from "../../gen/ttn/lorawan/v3/identifiers_pb.js";

export type EntityType = "application" | "client" | "end device" | "gateway" | "organization" | "user";

export interface EntityRef {
  type: EntityType;
  /** Upstream's unique ID: the entity ID, for an end device `<application_id>.<device_id>`. */
  id: string;
}

export function entityRef(ids: EntityIdentifiers): EntityRef {
  const { ids: e } = ids;
  switch (e.case) {
    case "applicationIds": return { type: "application", id: e.value.applicationId };
    case "clientIds": return { type: "client", id: e.value.clientId };
    case "deviceIds": return { type: "end device", id: `${e.value.applicationIds?.applicationId ?? ""}.${e.value.deviceId}` };
    case "gatewayIds": return { type: "gateway", id: e.value.gatewayId };
    case "organizationIds": return { type: "organization", id: e.value.organizationId };
    case "userIds": return { type: "user", id: e.value.userId };
    default: throw new Error("entity identifiers without an entity"); // `required` validation rules this out
  }
}

export function entityIdentifiers(ref: { type: string; id: string }): EntityIdentifiers {
  switch (ref.type) {
    case "application": return create(EntityIdentifiersSchema, { ids: { case: "applicationIds", value: { applicationId: ref.id } } });
    case "client": return create(EntityIdentifiersSchema, { ids: { case: "clientIds", value: { clientId: ref.id } } });
    case "end device": {
      const dot = ref.id.indexOf(".");
      return create(EntityIdentifiersSchema, {
        ids: { case: "deviceIds", value: { deviceId: ref.id.slice(dot + 1), applicationIds: { applicationId: ref.id.slice(0, dot) } } },
      });
    }
    case "gateway": return create(EntityIdentifiersSchema, { ids: { case: "gatewayIds", value: { gatewayId: ref.id } } });
    case "organization": return create(EntityIdentifiersSchema, { ids: { case: "organizationIds", value: { organizationId: ref.id } } });
    default: return create(EntityIdentifiersSchema, { ids: { case: "userIds", value: { userId: ref.id } } });
  }
}

/** Where the Console shows the entity; a user is shown to admins in the admin panel. */
export function entityConsoleUrl(publicUrl: string, ref: { type: string; id: string }, forAdmin = false): string {
  const console = `${publicUrl}/console`;
  const id = encodeURIComponent;
  switch (ref.type) {
    case "application": return `${console}/applications/${id(ref.id)}`;
    case "end device": {
      const dot = ref.id.indexOf(".");
      return `${console}/applications/${id(ref.id.slice(0, dot))}/devices/${id(ref.id.slice(dot + 1))}`;
    }
    case "gateway": return `${console}/gateways/${id(ref.id)}`;
    case "organization": return `${console}/organizations/${id(ref.id)}`;
    case "user": return forAdmin ? `${console}/admin-panel/user-management/${id(ref.id)}` : console;
    default: return console;
  }
}
