// The session as an API credential: the cookie authenticates RPCs from our own or allowed origins,
// is refused cross-site, works as an `ONZW4` bearer token, and stops working when the session ends or idles out.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserRegistry, UserSessionRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";
import { apiKeyFor, clientWithHeaders, createUser, loggedIn, request } from "./support.js";

const ALLOWED = "https://console.example.com";

for (const backend of databaseBackends()) {
  describe(`session cookie on RPCs on ${backend.name}`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => { server = await startTestServer(backend, { CORS_ORIGINS: ALLOWED, SESSION_IDLE_TIMEOUT: "2s" }, { clock }); });
    afterAll(async () => { await server?.close(); });

    for (const protocol of PROTOCOLS) {
      it(`authenticates AuthInfo over ${protocol} as a user_session with all rights`, async () => {
        const userId = await createUser(server);
        const cookie = await loggedIn(server, userId);
        const info = await clientWithHeaders(server, EntityAccess, { cookie }, protocol).authInfo({});
        expect(info.accessMethod.case).toBe("userSession");
        const session = info.accessMethod.value as { userIds?: { userId: string }; sessionId: string; sessionSecret: string };
        expect(session.userIds?.userId).toBe(userId);
        expect(session.sessionId).toBe(cookie.slice("_session=".length).split(".")[0]);
        expect(session.sessionSecret).toBe("");
        expect(info.isAdmin).toBe(false);
        const user = await clientWithHeaders(server, UserRegistry, { cookie }, protocol).get({ userIds: { userId }, fieldMask: { paths: ["primary_email_address"] } });
        expect(user.primaryEmailAddress).toBe(`${userId}@example.com`);
      });
    }

    it("refuses cookie-authenticated RPCs from other sites, accepts own and allowed origins", async () => {
      const userId = await createUser(server);
      const cookie = await loggedIn(server, userId);
      const get = (headers: Record<string, string>) =>
        clientWithHeaders(server, UserRegistry, { cookie, ...headers }).get({ userIds: { userId }, fieldMask: { paths: ["name"] } });

      const refused: Record<string, string>[] = [
        { origin: "https://evil.example.net" },
        { origin: "https://evil.example.net", "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site" },
        { origin: "null" },
      ];
      for (const headers of refused) {
        const err = await rpcError(get(headers));
        expect(err.code, JSON.stringify(headers)).toBe(Code.PermissionDenied);
        expect(err.errorName).toBe("pkg/webmiddleware:invalid_csrf_token");
      }
      await expect(get({ origin: ALLOWED, "sec-fetch-site": "cross-site" })).resolves.toBeDefined();
      await expect(get({ origin: server.baseUrl, "sec-fetch-site": "same-origin" })).resolves.toBeDefined();
      await expect(get({})).resolves.toBeDefined(); // non-browser client: no Origin, no Sec-Fetch-Site
    });

    it("leaves API-key requests alone, whatever their origin, and ignores the cookie next to them", async () => {
      const userId = await createUser(server);
      const key = await apiKeyFor(server, userId, [Right.USER_INFO]);
      const client = clientWithHeaders(server, EntityAccess, { authorization: `Bearer ${key}`, origin: "https://evil.example.net", "sec-fetch-site": "cross-site", cookie: "_session=garbage" });
      const info = await client.authInfo({});
      expect(info.accessMethod.case).toBe("apiKey");
    });

    it("accepts the session as an ONZW4 bearer token", async () => {
      const userId = await createUser(server);
      const cookie = await loggedIn(server, userId);
      const [id, secret] = cookie.slice("_session=".length).split(".");
      const info = await server.client(EntityAccess, "grpc", `ONZW4.${id}.${secret}`).authInfo({});
      expect(info.accessMethod.case).toBe("userSession");
      const bad = await rpcError(server.client(EntityAccess, "connect", `ONZW4.${id}.AAAA`).authInfo({}));
      expect(bad.errorName).toBe("pkg/identityserver:invalid_authorization");
      const unknown = await rpcError(server.client(EntityAccess, "connect", `ONZW4.00000000-0000-4000-8000-000000000000.${secret}`).authInfo({}));
      expect(unknown.errorName).toBe("pkg/identityserver:token_not_found");
    });

    it("stops accepting a deleted session's cookie on /me and on RPCs", async () => {
      const userId = await createUser(server);
      const cookie = await loggedIn(server, userId);
      const keepCookie = await loggedIn(server, userId);
      const sessionId = cookie.slice("_session=".length).split(".")[0]!;
      await clientWithHeaders(server, UserSessionRegistry, { cookie: keepCookie }).delete({ userIds: { userId }, sessionId });

      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status).toBe(401);
      const err = await rpcError(clientWithHeaders(server, EntityAccess, { cookie }).authInfo({}));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.errorName).toBe("pkg/identityserver:token_not_found");
      expect((await clientWithHeaders(server, EntityAccess, { cookie: keepCookie }).authInfo({})).accessMethod.case).toBe("userSession");
    });

    it("ends a session after the idle timeout, and use keeps it alive", async () => {
      const userId = await createUser(server);
      const idle = await loggedIn(server, userId);
      const busy = await loggedIn(server, userId);
      for (let i = 0; i < 5; i++) {
        clock.advance(600);
        expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: busy } })).status).toBe(200);
      }
      const err = await rpcError(clientWithHeaders(server, EntityAccess, { cookie: idle }).authInfo({}));
      expect(err.errorName).toBe("pkg/identityserver:token_expired");
      const me = await request(server, "GET", "/oauth/api/me", { headers: { cookie: idle } });
      expect(me.status).toBe(401);
      expect(me.body.details[0].cause.name).toBe("session_expired");
    });

    it("ends a user's sessions on suspension and rejection, not on flagging", async () => {
      const admin = server.client(UserRegistry, "connect", server.adminKey);
      for (const [state, ends] of [[State.FLAGGED, false], [State.SUSPENDED, true], [State.REJECTED, true]] as const) {
        const userId = await createUser(server);
        const cookie = await loggedIn(server, userId);
        await admin.update({ user: { ids: { userId }, state }, fieldMask: { paths: ["state"] } });
        const call = clientWithHeaders(server, EntityAccess, { cookie }).authInfo({});
        if (!ends) {
          expect((await call).accessMethod.case, State[state]).toBe("userSession");
          continue;
        }
        const err = await rpcError(call);
        expect([err.code, err.errorName], State[state]).toEqual([Code.Unauthenticated, "pkg/identityserver:token_not_found"]);
      }
    });
  });

  describe(`session lifetimes on ${backend.name}`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => { server = await startTestServer(backend, { SESSION_IDLE_TIMEOUT: "1s", SESSION_MAX_AGE: "2s" }, { clock }); });
    afterAll(async () => { await server?.close(); });

    it("ends even a busy session at its absolute lifetime", async () => {
      const cookie = await loggedIn(server, await createUser(server));
      // Used every 300 ms, so never idle for the 1 s timeout; alive until the 2 s lifetime, then ended.
      for (let elapsed = 300; elapsed < 2000; elapsed += 300) {
        clock.advance(300);
        expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status, `${elapsed} ms`).toBe(200);
      }
      clock.advance(300);
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status).toBe(401);
    });
  });
}
