// Flooding: anonymous sign-ups are capped per client address, and e-mails per recipient. A mail someone asked
// for (login token, temporary password) is refused over the cap before anything changes; a notification mail is
// dropped while its action succeeds, and notifications never use up the allowance of asked-for mails.
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { clientWithHeaders, createUser, uniqueId } from "../account/support.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";

const from = (address: string) => ({ "x-forwarded-for": address });

for (const backend of databaseBackends()) {
  describe(`flood limits on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, {
        TRUST_PROXY: "true", SIGN_UP_RATE_LIMIT_PER_ADDRESS: "2", MAIL_RATE_LIMIT_PER_RECIPIENT: "2", LOGIN_TOKENS_ENABLED: "true",
      });
    });
    afterAll(async () => { await server?.close(); });

    const signUp = (address: string, userId = uniqueId("signup")) =>
      clientWithHeaders(server, UserRegistry, from(address)).create({
        user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: "Sign-Up-Passw0rd" },
      });

    it("caps anonymous sign-ups per address, with a retry-after; other addresses and admins are not affected", async () => {
      await signUp("198.51.100.10");
      await signUp("198.51.100.10");
      const refused = await rpcError(signUp("198.51.100.10"));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.errorName).toBe("pkg/ratelimit:rate_limit_exceeded");
      expect(Number(refused.metadata.get("retry-after"))).toBeGreaterThan(3000);
      await signUp("198.51.100.11");
      await createUser(server); // by the admin, from the same client address as everyone here
    });

    it("refuses a requested mail over the recipient's cap before creating what it would carry", async () => {
      // A confirmed address, so no confirmation mail takes a share of the cap.
      const userId = uniqueId("user");
      await server.client(UserRegistry, "connect", server.adminKey).create({
        user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: "Secret-Passw0rd", state: State.APPROVED, primaryEmailAddressValidatedAt: timestampNow() },
      });
      const anonymous = clientWithHeaders(server, UserAccess, {});
      await anonymous.createLoginToken({ userIds: { userId } });
      await anonymous.createLoginToken({ userIds: { userId } });
      const refused = await rpcError(anonymous.createLoginToken({ userIds: { userId } }));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.errorName).toBe("pkg/ratelimit:rate_limit_exceeded");
      const user = await server.db.user.findFirstOrThrow({ where: { userId }, select: { id: true } });
      expect(await server.db.loginToken.count({ where: { userId: user.id } })).toBe(2);
      await server.settle();
      expect(server.mail.filter((m) => m.to === `${userId}@example.com`)).toHaveLength(2);
    });

    it("drops a notification mail over the cap, keeps the action, and leaves asked-for mail its own allowance", async () => {
      const userId = await createUser(server);
      const keys = server.client(UserAccess, "connect", server.adminKey);
      for (let i = 0; i < 3; i++) await keys.createAPIKey({ userIds: { userId: "admin-user" }, rights: [Right.USER_INFO], name: `flood-${i}` });
      await server.settle();
      // Three keys exist; the admin got two notification mails, the third was dropped.
      const { apiKeys } = await keys.listAPIKeys({ userIds: { userId: "admin-user" } });
      expect(apiKeys.filter((k) => k.name.startsWith("flood-"))).toHaveLength(3);
      const notified = server.mail.filter((m) => m.to === "admin@example.com" && /API key/i.test(m.subject));
      expect(notified).toHaveLength(2);
      // The admin can still be sent a login token: notifications counted apart.
      await clientWithHeaders(server, UserAccess, {}).createLoginToken({ userIds: { userId: "admin-user" } });
      expect(userId).toBeTruthy();
    });
  });
}
