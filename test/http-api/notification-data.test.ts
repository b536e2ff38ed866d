// Notification data travels as google.protobuf.Any, which JSON can only write with the message's schema. Every
// notification type the service raises with data, and data a trusted service sends, must list with 200 over Connect
// JSON (the SDK's default browser transport, and a plain fetch) and over the HTTP API, its data decoded with @type.
import { create } from "@bufbuild/protobuf";
import { anyPack, AnySchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdentityClient } from "../../client/node.js";
import { NotificationReceiver, NotificationService } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";
import { api, ok } from "./support.js";

const PASSWORD = "Secret-Passw0rd";
const CLUSTER = "ClusterKey 00112233445566778899aabbccddeeff";
const DATA_TYPE = "type.googleapis.com/ttn.lorawan.v3.";

for (const backend of databaseBackends()) {
  describe(`notification data in JSON on ${backend.name}`, () => {
    let server: TestServer;
    const userId = "receiver";
    let key = "";

    beforeAll(async () => {
      server = await startTestServer(backend, {
        ADMIN_RIGHTS_ALL: "true", USER_REGISTRATION_ADMIN_APPROVAL_REQUIRED: "true", CLUSTER_KEYS: CLUSTER.split(" ")[1]!,
      });
      const admin = server.adminKey;
      // user_requested (CreateUserRequest) to the admin, then entity_state_changed (EntityStateChangedNotification).
      await ok(api(server, "POST", "/users", { json: { user: { ids: { user_id: userId }, primary_email_address: "r@example.com", password: PASSWORD } } }));
      await ok(api(server, "PUT", `/users/${userId}`, { token: admin, json: { user: { state: "STATE_APPROVED", state_description: "welcome" }, field_mask: "state,state_description" } }));
      // api_key_created and api_key_changed (APIKey).
      const created = await ok(api(server, "POST", `/users/${userId}/api-keys`, { token: admin, json: { name: "own", rights: ["RIGHT_USER_ALL"] } }));
      key = created.key;
      await ok(api(server, "PUT", `/users/${userId}/api-keys/${created.id}`, { token: key, json: { api_key: { name: "renamed" }, field_mask: "name" } }));
      // password_changed (no data), and data a trusted service sends (a well-known type, as upstream's store tests).
      await ok(api(server, "PUT", `/users/${userId}/password`, { json: { old: PASSWORD, new: "Other-Passw0rd" } }));
      await server.client(NotificationService, "connect", CLUSTER).create({
        entityIds: { ids: { case: "userIds", value: { userId } } }, notificationType: "test_notification",
        data: anyPack(StringValueSchema, create(StringValueSchema, { value: "test" })), receivers: [NotificationReceiver.COLLABORATOR],
      });
      await server.settle();
    });
    afterAll(async () => { await server?.close(); });

    /** The data of each notification by type, as the JSON says. */
    const dataByType = (notifications: any[]) => Object.fromEntries(notifications.map((n) => [n.notification_type ?? n.notificationType, n.data ?? null]));

    function expectUserData(data: Record<string, any>) {
      expect(data.api_key_created).toMatchObject({ "@type": `${DATA_TYPE}APIKey`, name: "own", rights: ["RIGHT_USER_ALL"] });
      expect(data.api_key_created.key).toBeUndefined(); // never the secret
      expect(data.api_key_changed).toMatchObject({ "@type": `${DATA_TYPE}APIKey`, name: "renamed" });
      expect(data.entity_state_changed).toEqual({ "@type": `${DATA_TYPE}EntityStateChangedNotification`, state: "STATE_APPROVED", state_description: "welcome" });
      expect(data.password_changed).toBeNull();
      expect(data.test_notification).toEqual({ "@type": "type.googleapis.com/google.protobuf.StringValue", value: "test" });
    }

    it("over the HTTP API, with @type first as Go's protojson writes it", async () => {
      const own = (await ok(api(server, "GET", `/users/${userId}/notifications`, { token: key }))).notifications;
      expectUserData(dataByType(own));
      for (const n of own) if (n.data) expect(Object.keys(n.data)[0], n.notification_type).toBe("@type");
      const admin = await ok(api(server, "GET", "/users/admin-user/notifications", { token: server.adminKey }));
      const requested = dataByType(admin.notifications).user_requested;
      expect(requested["@type"]).toBe(`${DATA_TYPE}CreateUserRequest`);
      expect(requested.user.ids).toEqual({ user_id: userId });
      expect(requested.user.password).toBeUndefined();
    });

    it("over Connect JSON, with a plain fetch", async () => {
      const res = await fetch(`${server.baseUrl}/ttn.lorawan.v3.NotificationService/List`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ receiver_ids: { user_id: userId } }),
      });
      expect(res.status).toBe(200);
      expectUserData(dataByType(((await res.json()) as any).notifications));
      const admin = await fetch(`${server.baseUrl}/ttn.lorawan.v3.NotificationService/List`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.adminKey}` },
        body: JSON.stringify({ receiver_ids: { user_id: "admin-user" } }),
      });
      expect(admin.status).toBe(200);
      const requested = dataByType(((await admin.json()) as any).notifications).user_requested;
      expect(requested["@type"]).toBe(`${DATA_TYPE}CreateUserRequest`);
      expect(requested.user.ids).toEqual({ user_id: userId });
    });

    it("over the SDK's Connect JSON transport", async () => {
      const client = createIdentityClient({ baseUrl: server.baseUrl, protocol: "connect", useBinaryFormat: false, apiKey: key });
      const { notifications } = await client.notifications.list({ receiverIds: { userId } });
      const types = notifications.map((n) => [n.notificationType, n.data?.typeUrl ?? ""]);
      expect(types).toEqual(expect.arrayContaining([
        ["api_key_created", `${DATA_TYPE}APIKey`], ["entity_state_changed", `${DATA_TYPE}EntityStateChangedNotification`],
        ["password_changed", ""], ["test_notification", "type.googleapis.com/google.protobuf.StringValue"],
      ]));
    });

    it("refuses data of a type this server does not know, which JSON could never list", async () => {
      const err = await rpcError(server.client(NotificationService, "connect", CLUSTER).create({
        entityIds: { ids: { case: "userIds", value: { userId } } }, notificationType: "test_notification", receivers: [NotificationReceiver.COLLABORATOR],
        data: create(AnySchema, { typeUrl: "type.googleapis.com/example.v1.Unknown", value: new Uint8Array([1, 2, 3]) }),
      }));
      expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/errors:validation"]);
    });
  });
}
