// UserSessionRegistry and what else ends sessions:
// own sessions listed and deleted with RIGHT_USER_ALL; revoke_all_access, Delete and Purge end them all.
import { Code } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserRegistry, UserSessionRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { PASSWORD, apiKeyFor, clientWithHeaders, createUser, loggedIn, request } from "../account/support.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";

const sessionIdOf = (cookie: string) => cookie.slice("_session=".length).split(".")[0]!;

for (const backend of databaseBackends()) {
  describe(`UserSessionRegistry on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend); });
    afterAll(async () => { await server?.close(); });

    for (const protocol of PROTOCOLS) {
      it(`lists own sessions with pagination and x-total-count, never the secret, over ${protocol}`, async () => {
        const userId = await createUser(server);
        const cookies: string[] = [];
        for (let i = 0; i < 3; i++) cookies.push(await loggedIn(server, userId));
        const key = await apiKeyFor(server, userId, [Right.USER_ALL]); // logs in once more
        const registry = server.client(UserSessionRegistry, protocol, key);

        let total: string | null = null;
        const all = await registry.list({ userIds: { userId }, order: "created_at" }, { onHeader: (h) => { total = h.get("x-total-count"); } });
        expect(total).toBe("4");
        expect(all.sessions).toHaveLength(4);
        for (const s of all.sessions) {
          expect(s.userIds?.userId).toBe(userId);
          expect(s.sessionSecret).toBe("");
          expect(s.createdAt).toBeDefined();
          expect(s.expiresAt).toBeDefined();
        }
        const created = all.sessions.map((s) => timestampDate(s.createdAt!).getTime());
        expect(created).toEqual([...created].sort((a, b) => a - b));
        expect(all.sessions.slice(0, 3).map((s) => s.sessionId)).toEqual(cookies.map(sessionIdOf));

        const newest = await registry.list({ userIds: { userId }, order: "-created_at", limit: 2, page: 1 });
        expect(newest.sessions.map((s) => s.sessionId)).toEqual([...all.sessions].reverse().slice(0, 2).map((s) => s.sessionId));
        const page2 = await registry.list({ userIds: { userId }, order: "-created_at", limit: 2, page: 2 }, { onHeader: (h) => { total = h.get("x-total-count"); } });
        expect(page2.sessions).toHaveLength(2);
        expect(total).toBe("4");
        expect((await registry.list({ userIds: { userId }, limit: 2, page: 3 })).sessions).toHaveLength(0);
      });
    }

    it("deletes one of the user's own sessions and answers not-found for anything else", async () => {
      const userId = await createUser(server);
      const other = await createUser(server);
      const cookie = await loggedIn(server, userId);
      const otherCookie = await loggedIn(server, other);
      const registry = clientWithHeaders(server, UserSessionRegistry, { cookie });

      for (const sessionId of ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "", sessionIdOf(otherCookie)]) {
        const err = await rpcError(registry.delete({ userIds: { userId }, sessionId }));
        expect(err.code, sessionId).toBe(Code.NotFound);
        expect(err.errorName).toBe("pkg/identityserver/store:user_session_not_found");
      }
      const second = await loggedIn(server, userId);
      await registry.delete({ userIds: { userId }, sessionId: sessionIdOf(second) });
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: second } })).status).toBe(401);
      expect((await registry.list({ userIds: { userId } })).sessions.map((s) => s.sessionId)).toEqual([sessionIdOf(cookie)]);
      // Deleting the session the request itself uses works, and ends it at once.
      await registry.delete({ userIds: { userId }, sessionId: sessionIdOf(cookie) });
      expect((await rpcError(registry.list({ userIds: { userId } }))).code).toBe(Code.Unauthenticated);
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: otherCookie } })).status).toBe(200);
    });

    it("needs RIGHT_USER_ALL literally on that user", async () => {
      const userId = await createUser(server);
      const other = await createUser(server);
      const sessionId = sessionIdOf(await loggedIn(server, userId));
      const denials: [string | undefined, string][] = [
        [undefined, "pkg/auth/rights:no_user_rights"],
        [await apiKeyFor(server, userId, [Right.USER_INFO, Right.USER_SETTINGS_BASIC]), "pkg/auth/rights:insufficient_user_rights"],
        [await apiKeyFor(server, other, [Right.ALL]), "pkg/auth/rights:no_user_rights"],
        [server.adminKey, "pkg/auth/rights:insufficient_user_rights"], // admins only with ADMIN_RIGHTS_ALL
      ];
      for (const [token, name] of denials) {
        const registry = server.client(UserSessionRegistry, "connect", token);
        // One call at a time: a second promise created up front would reject unobserved while the first is awaited.
        for (const call of [() => registry.list({ userIds: { userId } }), () => registry.delete({ userIds: { userId }, sessionId })]) {
          const err = await rpcError(call());
          expect(err.code).toBe(Code.PermissionDenied);
          expect(err.errorName).toBe(name);
        }
      }
      const err = await rpcError(server.client(UserSessionRegistry, "connect", server.adminKey).list({ userIds: { userId: "no-such-user" } }));
      expect(err.errorName).toBe("pkg/identityserver/store:user_not_found");
      const withAll = await apiKeyFor(server, userId, [Right.USER_ALL]);
      expect((await server.client(UserSessionRegistry, "connect", withAll).list({ userIds: { userId } })).sessions.length).toBeGreaterThan(0);
    });

    it("ends the other sessions on a password change, and all of them but no API key with revoke_all_access", async () => {
      const userId = await createUser(server);
      const key = await apiKeyFor(server, userId, [Right.USER_ALL]);
      const cookies = [await loggedIn(server, userId), await loggedIn(server, userId), await loggedIn(server, userId)];
      const registry = server.client(UserRegistry, "connect");

      // Changed in the first session: that one goes on, the others end.
      await clientWithHeaders(server, UserRegistry, { cookie: cookies[0]! }).updatePassword({ userIds: { userId }, old: PASSWORD, new: "Changed-Passw0rd", revokeAllAccess: false });
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: cookies[0]! } })).status).toBe(200);
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: cookies[1]! } })).status).toBe(401);
      // Changed without a session (old password only): every session ends.
      const again = [cookies[0]!, await loggedIn(server, userId, "Changed-Passw0rd")];
      await registry.updatePassword({ userIds: { userId }, old: "Changed-Passw0rd", new: "Changed-Passw0rd-2", revokeAllAccess: false });
      for (const cookie of again) expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status).toBe(401);
      cookies.splice(0, cookies.length, await loggedIn(server, userId, "Changed-Passw0rd-2"), await loggedIn(server, userId, "Changed-Passw0rd-2"));

      await clientWithHeaders(server, UserRegistry, { cookie: cookies[0]! }).updatePassword({ userIds: { userId }, old: "Changed-Passw0rd-2", new: "Another-Passw0rd", revokeAllAccess: true });
      for (const cookie of cookies) {
        expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status).toBe(401);
        expect((await rpcError(clientWithHeaders(server, EntityAccess, { cookie }).authInfo({}))).code).toBe(Code.Unauthenticated);
      }
      const listed = await server.client(UserSessionRegistry, "connect", key).list({ userIds: { userId } });
      expect(listed.sessions).toHaveLength(0);
      expect((await server.client(EntityAccess, "connect", key).authInfo({})).accessMethod.case).toBe("apiKey");
    });

    it("ends all sessions when the user is deleted, and for good when purged", async () => {
      const deleted = await createUser(server);
      const deletedCookie = await loggedIn(server, deleted);
      await server.client(UserRegistry, "connect", server.adminKey).delete({ userId: deleted });
      expect((await rpcError(clientWithHeaders(server, EntityAccess, { cookie: deletedCookie }).authInfo({}))).errorName).toBe("pkg/identityserver:token_not_found");
      await server.client(UserRegistry, "connect", server.adminKey).restore({ userId: deleted });
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: deletedCookie } })).status).toBe(401);

      const purged = await createUser(server);
      const purgedCookie = await loggedIn(server, purged);
      await server.client(UserRegistry, "connect", server.adminKey).purge({ userId: purged });
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: purgedCookie } })).status).toBe(401);
    });
  });
}
