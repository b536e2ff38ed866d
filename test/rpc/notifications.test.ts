// NotificationService at upstream behaviour and the notifications the
// service raises itself, through real clients over a real socket on every database backend.
import { create, fromBinary } from "@bufbuild/protobuf";
import { anyPack, StringValueSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import {
  EntityStateChangedNotificationSchema, NotificationReceiver, NotificationService, NotificationStatus, type Notification,
} from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { APIKeySchema, Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { CreateUserRequestSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ConfigError, loadConfig } from "../../server/config.js";
import { databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";

const PASSWORD = "Secret-Passw0rd";
const CLUSTER_KEY = "00112233445566778899aabbccddeeff";
const OTHER_KEY = "ffeeddccbbaa99887766554433221100";
const CLUSTER = `ClusterKey ${CLUSTER_KEY}`;

describe("CLUSTER_KEYS", () => {
  it("fails start-up on a key that is not hex, naming the variable", () => {
    expect(() => loadConfig({ CLUSTER_KEYS: "00ff,not-hex" })).toThrow(ConfigError);
    expect(() => loadConfig({ CLUSTER_KEYS: "00ff,not-hex" })).toThrow(/CLUSTER_KEYS/);
    expect(loadConfig({ CLUSTER_KEYS: " 00ff , AB12 " }).clusterKeys.map((k) => k.toString("hex"))).toEqual(["00ff", "ab12"]);
    expect(loadConfig({}).clusterKeys).toEqual([]);
  });
});

for (const backend of databaseBackends()) {
  describe(`NotificationService on ${backend.name}`, () => {
    const protocol: Protocol = "connect";
    let server: TestServer;
    const notifications = (token?: string) => server.client(NotificationService, protocol, token);
    const users = (token?: string) => server.client(UserRegistry, protocol, token);
    const access = (token?: string) => server.client(UserAccess, protocol, token);
    let cluster: Client<typeof NotificationService>;

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", CLUSTER_KEYS: `${OTHER_KEY},${CLUSTER_KEY}`, PUBLIC_URL: "https://tts.example.com" });
      cluster = notifications(CLUSTER);
    });
    afterAll(async () => { await server?.close(); });

    let seq = 0;
    const uniqueId = (prefix: string) => `${prefix}-${++seq}`;

    /** A self-registered user and a key of its own (minted by the admin, so an api_key_created notification exists). */
    async function newUser(rights: Right[] = [Right.USER_ALL]): Promise<{ userId: string; key: string }> {
      const userId = uniqueId("user");
      await users().create({ user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: PASSWORD, name: `Name ${userId}` } });
      const key = await access(server.adminKey).createAPIKey({ userIds: { userId }, rights, name: "test" });
      await server.settle();
      return { userId, key: key.key };
    }

    const userEntity = (userId: string) => ({ ids: { case: "userIds" as const, value: { userId } } });

    async function notify(userId: string, type = "test_notification", extra: { email?: boolean } = {}) {
      const { id } = await cluster.create({
        entityIds: userEntity(userId), notificationType: type, receivers: [NotificationReceiver.COLLABORATOR], ...extra,
      });
      return id;
    }

    async function list(token: string, userId: string, options: { status?: NotificationStatus[]; limit?: number; page?: number } = {}) {
      let total = "";
      const res = await notifications(token).list({ receiverIds: { userId }, ...options }, { onHeader: (h) => { total = h.get("x-total-count") ?? ""; } });
      return { items: res.notifications, total: Number(total) };
    }

    const ofType = (items: Notification[], type: string) => items.filter((n) => n.notificationType === type);

    describe("cluster authentication of Create", () => {
      const request = { entityIds: userEntity("admin-user"), notificationType: "test_notification", receivers: [NotificationReceiver.COLLABORATOR] };

      it("refuses a request without authorization", async () => {
        const err = await rpcError(notifications().create(request));
        expect(err.code).toBe(Code.Unauthenticated);
        expect(err.errorName).toBe("pkg/auth/cluster:no_cluster_key");
      });

      it("refuses a bearer credential, even an admin's", async () => {
        const err = await rpcError(notifications(server.adminKey).create(request));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/auth/cluster:auth_type");
      });

      it("refuses an unknown or malformed cluster key", async () => {
        for (const key of ["0123456789abcdef0123456789abcdef", "not-hex", "abc"]) {
          const err = await rpcError(notifications(`ClusterKey ${key}`).create(request));
          expect(err.code).toBe(Code.PermissionDenied);
          expect(err.errorName).toBe("pkg/auth/cluster:cluster_key");
        }
      });

      it("validates the request before authentication", async () => {
        const err = await rpcError(notifications().create({ ...request, notificationType: "" }));
        expect(err.code).toBe(Code.InvalidArgument);
      });
    });

    describe("Create", () => {
      it("stores a notification for a user entity that the user receives, data round-tripping unchanged", async () => {
        const { userId, key } = await newUser();
        const data = anyPack(StringValueSchema, create(StringValueSchema, { value: "test" })); // as upstream's store tests
        const { id } = await cluster.create({
          entityIds: userEntity(userId), notificationType: "test_notification", data, senderIds: { userId: "admin-user" },
          receivers: [NotificationReceiver.COLLABORATOR, NotificationReceiver.ADMINISTRATIVE_CONTACT], email: true,
        });
        expect(id).toHaveLength(36);
        const { items } = await list(key, userId);
        const n = items.find((x) => x.id === id)!;
        expect(n.entityIds?.ids).toEqual(expect.objectContaining({ case: "userIds", value: expect.objectContaining({ userId }) }));
        expect(n.data?.typeUrl).toBe("type.googleapis.com/google.protobuf.StringValue");
        expect([...n.data!.value]).toEqual([...data.value]);
        expect(n.senderIds?.userId).toBe("admin-user");
        expect(n.receivers).toEqual([NotificationReceiver.COLLABORATOR, NotificationReceiver.ADMINISTRATIVE_CONTACT]);
        expect(n.status).toBe(NotificationStatus.UNSEEN);
        expect(timestampDate(n.statusUpdatedAt!).getTime()).toBe(timestampDate(n.createdAt!).getTime());
        expect(n.email).toBe(false); // no template for test_notification: e-mail disabled
      });

      it("keeps the e-mail flag and mails every receiver when the type has a template", async () => {
        const { userId, key } = await newUser();
        const before = server.mail.length;
        const id = await notify(userId, "password_changed", { email: true });
        await server.settle();
        const n = (await list(key, userId)).items.find((x) => x.id === id)!;
        expect(n.email).toBe(true);
        const mails = server.mail.slice(before).filter((m) => m.to === `${userId}@example.com`);
        expect(mails).toHaveLength(1);
        expect(mails[0]!.subject).toContain("password");
        expect(mails[0]!.text).toContain(`Dear Name ${userId}`);
        expect(mails[0]!.html).toContain("https://tts.example.com/console");
      });

      it("finds no receivers for other entity types", async () => {
        const err = await rpcError(cluster.create({
          entityIds: { ids: { case: "applicationIds", value: { applicationId: "app-1" } } }, notificationType: "test_notification",
          receivers: [NotificationReceiver.ADMINISTRATIVE_CONTACT],
        }));
        expect(err.code).toBe(Code.Unknown);
        expect(err.errorName).toBe("pkg/identityserver:no_receiver_user_ids");
      });

      it("answers not-found for an unknown user entity or sender", async () => {
        expect((await rpcError(notify("nobody-here"))).code).toBe(Code.NotFound);
        const { userId } = await newUser();
        const err = await rpcError(cluster.create({
          entityIds: userEntity(userId), notificationType: "x", senderIds: { userId: "nobody-here" }, receivers: [NotificationReceiver.COLLABORATOR],
        }));
        expect(err.code).toBe(Code.NotFound);
      });
    });

    describe("List and UpdateStatus", () => {
      it("lists newest first with status filter, pagination and x-total-count", async () => {
        const { userId, key } = await newUser();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await notify(userId));
        const all = await list(key, userId, { status: [NotificationStatus.UNSEEN] });
        const tests = ofType(all.items, "test_notification").map((n) => n.id);
        expect(tests).toEqual([...ids].reverse());
        expect(all.total).toBe(6); // and the api_key_created notification of its key

        const page2 = await list(key, userId, { limit: 2, page: 2 });
        expect(page2.items.map((n) => n.id)).toEqual([ids[2], ids[1]]);
        expect(page2.total).toBe(6);

        await notifications(key).updateStatus({ receiverIds: { userId }, ids: ids.slice(0, 2), status: NotificationStatus.SEEN });
        const unseen = await list(key, userId, { status: [NotificationStatus.UNSEEN] });
        expect(unseen.total).toBe(4);
        const seen = await list(key, userId, { status: [NotificationStatus.SEEN] });
        expect(seen.items.map((n) => n.id)).toEqual([ids[1], ids[0]]);
        const both = await list(key, userId, { status: [NotificationStatus.SEEN, NotificationStatus.ARCHIVED] });
        expect(both.total).toBe(2);
      });

      it("updates only the caller's own rows; foreign, unknown and non-UUID IDs are ignored", async () => {
        const alice = await newUser();
        const bob = await newUser();
        const mine = await notify(alice.userId);
        const theirs = await notify(bob.userId);
        const before = (await list(alice.key, alice.userId)).items.find((n) => n.id === mine)!;
        await new Promise((r) => setTimeout(r, 5));
        await notifications(alice.key).updateStatus({
          receiverIds: { userId: alice.userId },
          ids: [mine, theirs, "00000000-0000-4000-8000-000000000000", "x".repeat(36)],
          status: NotificationStatus.ARCHIVED,
        });
        const after = (await list(alice.key, alice.userId)).items.find((n) => n.id === mine)!;
        expect(after.status).toBe(NotificationStatus.ARCHIVED);
        expect(timestampDate(after.statusUpdatedAt!).getTime()).toBeGreaterThan(timestampDate(before.statusUpdatedAt!).getTime());
        const bobs = (await list(bob.key, bob.userId)).items.find((n) => n.id === theirs)!;
        expect(bobs.status).toBe(NotificationStatus.UNSEEN);
        // Any status, back to UNSEEN included.
        await notifications(alice.key).updateStatus({ receiverIds: { userId: alice.userId }, ids: [mine], status: NotificationStatus.UNSEEN });
        expect((await list(alice.key, alice.userId)).items.find((n) => n.id === mine)!.status).toBe(NotificationStatus.UNSEEN);
      });

      it("validates the IDs of UpdateStatus", async () => {
        const { userId, key } = await newUser();
        for (const ids of [[], ["short"], ["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"]]) {
          const err = await rpcError(notifications(key).updateStatus({ receiverIds: { userId }, ids, status: NotificationStatus.SEEN }));
          expect(err.code).toBe(Code.InvalidArgument);
        }
      });

      it("needs RIGHT_USER_NOTIFICATIONS_READ on the receiver: own key, admin or cluster", async () => {
        const owner = await newUser([Right.USER_NOTIFICATIONS_READ]);
        const narrow = await newUser([Right.USER_INFO]);
        const id = await notify(owner.userId);
        expect((await list(owner.key, owner.userId)).items.map((n) => n.id)).toContain(id);
        expect((await list(server.adminKey, owner.userId)).items.map((n) => n.id)).toContain(id);
        expect((await list(CLUSTER, owner.userId)).items.map((n) => n.id)).toContain(id);
        await cluster.updateStatus({ receiverIds: { userId: owner.userId }, ids: [id], status: NotificationStatus.SEEN });

        const other = await rpcError(list(narrow.key, owner.userId));
        expect(other.code).toBe(Code.PermissionDenied);
        expect(other.errorName).toBe("pkg/auth/rights:no_user_rights");
        const insufficient = await rpcError(list(narrow.key, narrow.userId));
        expect(insufficient.errorName).toBe("pkg/auth/rights:insufficient_user_rights");
        const anonymous = await rpcError(notifications().list({ receiverIds: { userId: owner.userId } }));
        expect(anonymous.code).toBe(Code.PermissionDenied);
        const update = await rpcError(notifications(narrow.key).updateStatus({ receiverIds: { userId: owner.userId }, ids: [id], status: NotificationStatus.ARCHIVED }));
        expect(update.code).toBe(Code.PermissionDenied);
        const wrongCluster = await rpcError(list("ClusterKey 0123456789abcdef", owner.userId));
        expect(wrongCluster.errorName).toBe("pkg/auth/cluster:cluster_key");
      });
    });

    describe("notifications raised by the service", () => {
      it("api_key_created and api_key_changed go to the key's owner, without the secret, with an e-mail", async () => {
        const { userId, key } = await newUser();
        const created = await access(key).createAPIKey({ userIds: { userId }, rights: [Right.USER_INFO], name: "mine" });
        await access(key).updateAPIKey({ userIds: { userId }, apiKey: { id: created.id, name: "renamed" }, fieldMask: { paths: ["name"] } });
        await server.settle();
        const { items } = await list(key, userId);
        const createdNote = ofType(items, "api_key_created").find((n) => fromBinary(APIKeySchema, n.data!.value).id === created.id)!;
        expect(createdNote.data!.typeUrl).toBe("type.googleapis.com/ttn.lorawan.v3.APIKey");
        const data = fromBinary(APIKeySchema, createdNote.data!.value);
        expect(data.key).toBe("");
        expect(data.name).toBe("mine");
        expect(createdNote.receivers).toEqual([NotificationReceiver.ADMINISTRATIVE_CONTACT]);
        expect(createdNote.senderIds?.userId).toBe(userId);
        expect(createdNote.email).toBe(true);
        const changed = ofType(items, "api_key_changed");
        expect(changed).toHaveLength(1);
        expect(fromBinary(APIKeySchema, changed[0]!.data!.value).name).toBe("renamed");

        // Both are queued within milliseconds; delivery order is not part of the contract.
        const mail = server.mail.filter((m) => m.to === `${userId}@example.com` && m.text.includes(created.id));
        expect(mail.map((m) => m.subject).sort()).toEqual(["A new API key has been created for your user", "An API key of your user has been changed"]);
        const createdMail = mail.find((m) => m.subject.startsWith("A new"))!;
        expect(createdMail.text).toContain(`https://tts.example.com/console/user/api-keys/${created.id}`);
        expect(createdMail.html).toContain(`href="https://tts.example.com/console/user/api-keys/${created.id}"`);
        expect(createdMail.text).not.toContain(created.key);

        // An update that deletes the key (no rights) raises nothing.
        await access(key).updateAPIKey({ userIds: { userId }, apiKey: { id: created.id }, fieldMask: { paths: ["rights"] } });
        await server.settle();
        expect(ofType((await list(key, userId)).items, "api_key_changed")).toHaveLength(1);
      });

      it("password_changed follows UpdatePassword", async () => {
        const { userId, key } = await newUser();
        await users().updatePassword({ userIds: { userId }, old: PASSWORD, new: "Other-Passw0rd" });
        await server.settle();
        const [n] = ofType((await list(key, userId)).items, "password_changed");
        expect(n?.receivers).toEqual([NotificationReceiver.COLLABORATOR]);
        expect(server.mail.some((m) => m.to === `${userId}@example.com` && /password/i.test(m.subject))).toBe(true);
      });

      it("entity_state_changed follows an admin's state change", async () => {
        const { userId, key } = await newUser();
        await users(server.adminKey).update({
          user: { ids: { userId }, state: State.FLAGGED, stateDescription: "looks odd" }, fieldMask: { paths: ["state", "state_description"] },
        });
        await users(server.adminKey).update({ user: { ids: { userId }, name: "no state" }, fieldMask: { paths: ["name"] } });
        await server.settle();
        const changes = ofType((await list(key, userId)).items, "entity_state_changed");
        expect(changes).toHaveLength(1);
        const data = fromBinary(EntityStateChangedNotificationSchema, changes[0]!.data!.value);
        expect(data.state).toBe(State.FLAGGED);
        expect(data.stateDescription).toBe("looks odd");
        expect(changes[0]!.senderIds?.userId).toBe("admin-user");
        const mail = server.mail.findLast((m) => m.to === `${userId}@example.com`)!;
        expect(mail.text).toContain("flagged");
        expect(mail.text).toContain("looks odd");
      });
    });
  });

  describe(`user_requested on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { USER_REGISTRATION_ADMIN_APPROVAL_REQUIRED: "true", PUBLIC_URL: "https://tts.example.com" });
    });
    afterAll(async () => { await server?.close(); });

    it("announces a self-registered user to every admin, without its secrets", async () => {
      await server.client(UserRegistry, "connect").create({
        user: { ids: { userId: "newcomer" }, primaryEmailAddress: "newcomer@example.com", password: PASSWORD, name: "New Comer" },
      });
      await server.settle();
      const { notifications } = await server.client(NotificationService, "connect", server.adminKey).list({ receiverIds: { userId: "admin-user" } });
      const [n] = notifications.filter((x) => x.notificationType === "user_requested");
      expect(n?.entityIds?.ids.value).toEqual(expect.objectContaining({ userId: "newcomer" }));
      expect(n!.data!.typeUrl).toBe("type.googleapis.com/ttn.lorawan.v3.CreateUserRequest");
      const request = fromBinary(CreateUserRequestSchema, n!.data!.value);
      expect(request.user?.ids?.userId).toBe("newcomer");
      expect(request.user?.password).toBe("");
      expect(request.invitationToken).toBe("");
      const mail = server.mail.find((m) => m.to === "admin@example.com" && m.text.includes("newcomer"))!;
      expect(mail.text).toContain("https://tts.example.com/console/admin-panel/user-management/newcomer");
      expect(mail.text).not.toContain(PASSWORD);
    });
  });
}
