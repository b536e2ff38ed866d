// Exactly-once state changes under concurrency, on both databases: 50 clients do the same one-time thing at the
// same moment and exactly one of them succeeds; the others get the error a later caller would get, never an
// internal error. Conditional writes (UPDATE … WHERE still-in-the-old-state, checking the affected rows) make it so.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Right } from "../../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserInvitationRegistry, UserRegistry, UserSessionRegistry } from "../../../gen/ttn/lorawan/v3/user_services_pb.js";
import { PASSWORD, clientWithHeaders, createUser, loggedIn, request, uniqueId } from "../../account/support.js";
import { databaseBackends, startTestServer, type TestServer } from "../../support/server.js";
// The races are about the writes, not the hash: cheap argon2id keeps 50 password checks from queueing past the
// clients' timeouts on a busy machine.
import "../../support/password-hashing.js";

const N = 50;

/** Runs `call` N times at once; the successes, and the gRPC codes of the failures. */
async function race(call: (i: number) => Promise<unknown>): Promise<{ ok: number; codes: Code[] }> {
  const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => call(i)));
  const codes = results.filter((r) => r.status === "rejected").map((r) => ConnectError.from((r as PromiseRejectedResult).reason).code);
  return { ok: results.filter((r) => r.status === "fulfilled").length, codes };
}

for (const backend of databaseBackends()) {
  // 50 concurrent calls each: generous time on a busy machine.
  describe(`50-way races on ${backend.name}`, { timeout: 180_000 }, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, {
        LOGIN_TOKENS_ENABLED: "true",
        // The race is about the write, not the guessing limits.
        LOGIN_RATE_LIMIT_PER_USER_ADDRESS: "1000", LOGIN_RATE_LIMIT_PER_USER: "1000", LOGIN_RATE_LIMIT_PER_ADDRESS: "100000",
      });
    });
    afterAll(async () => { await server?.close(); });

    const admin = () => server.client(UserRegistry, "connect", server.adminKey);

    it("deletes, restores and purges a user exactly once each", async () => {
      const userId = await createUser(server);
      const deleted = await race(() => admin().delete({ userId }));
      expect(deleted.ok).toBe(1);
      expect(new Set(deleted.codes)).toEqual(new Set([Code.NotFound]));

      const restored = await race(() => admin().restore({ userId }));
      expect(restored.ok).toBe(1);
      expect(new Set(restored.codes)).toEqual(new Set([Code.NotFound]));
      await admin().get({ userIds: { userId } });

      const purged = await race(() => admin().purge({ userId }));
      expect(purged.ok).toBe(1);
      expect(new Set(purged.codes)).toEqual(new Set([Code.NotFound]));
    });

    it("accepts an invitation once", async () => {
      const { token } = await server.client(UserInvitationRegistry, "connect", server.adminKey).send({ email: `${uniqueId("invited")}@example.com` });
      const prefix = uniqueId("race");
      const created = await race((i) => server.client(UserRegistry, "connect").create({
        user: { ids: { userId: `${prefix}-${i}` }, primaryEmailAddress: `${prefix}-${i}@example.com`, password: PASSWORD }, invitationToken: token,
      }));
      expect(created.ok).toBe(1);
      expect(new Set(created.codes)).toEqual(new Set([Code.FailedPrecondition]));
    });

    it("starts one session per login token", async () => {
      const userId = await createUser(server);
      const { token } = await server.client(UserAccess, "connect", server.adminKey).createLoginToken({ userIds: { userId }, skipEmail: true });
      const results = await Promise.all(Array.from({ length: N }, () => request(server, "POST", "/oauth/api/auth/token-login", { json: { token } })));
      expect(results.filter((r) => r.status === 204)).toHaveLength(1);
      expect(new Set(results.filter((r) => r.status !== 204).map((r) => r.status))).toEqual(new Set([400]));
    });

    it("sets a new password from a temporary one once", async () => {
      const userId = await createUser(server);
      const email = `${userId}@example.com`;
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      await server.settle();
      const temporary = /Temporary password: ([A-Z2-7]{52})/.exec(server.mail.find((m) => m.to === email && m.text.includes("Temporary password:"))!.text)![1]!;
      const changed = await race((i) => server.client(UserRegistry, "connect").updatePassword({ userIds: { userId }, old: temporary, new: `Raced-Passw0rd-${i}` }));
      expect(changed.ok, `failures: ${changed.codes.map((c) => Code[c]).join(", ")}`).toBe(1);
      expect(new Set(changed.codes)).toEqual(new Set([Code.Unauthenticated]));
    });

    it("deletes an API key and a session once", async () => {
      const userId = await createUser(server);
      const keys = server.client(UserAccess, "connect", server.adminKey);
      const key = await keys.createAPIKey({ userIds: { userId: "admin-user" }, rights: [Right.USER_INFO], name: "race" });
      const keyDeleted = await race(() => keys.deleteAPIKey({ userIds: { userId: "admin-user" }, keyId: key.id }));
      expect(keyDeleted.ok).toBe(1);
      expect(new Set(keyDeleted.codes)).toEqual(new Set([Code.NotFound]));

      // With one session, 50 deletes of the user's other session.
      const cookie = await loggedIn(server, userId);
      const other = await loggedIn(server, userId);
      const sessions = clientWithHeaders(server, UserSessionRegistry, { cookie });
      const me = await request(server, "GET", "/oauth/api/me", { headers: { cookie: other } });
      const sessionDeleted = await race(() => sessions.delete({ userIds: { userId }, sessionId: me.body.session_id as string }));
      expect(sessionDeleted.ok).toBe(1);
      expect(new Set(sessionDeleted.codes)).toEqual(new Set([Code.NotFound]));
    });
  });
}
