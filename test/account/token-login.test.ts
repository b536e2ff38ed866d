// Token login: a login token starts one session, once, before it expires.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { createUser, errorName, request } from "./support.js";

for (const backend of databaseBackends()) {
  describe(`account token login on ${backend.name}`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => { server = await startTestServer(backend, { LOGIN_TOKENS_ENABLED: "true" }, { clock }); });
    afterAll(async () => { await server?.close(); });

    /** An admin asking for a non-admin user's token gets it back (as upstream). */
    async function tokenFor(userId: string): Promise<string> {
      const { token } = await server.client(UserAccess, "connect", server.adminKey).createLoginToken({ userIds: { userId }, skipEmail: true });
      expect(token).not.toBe("");
      return token;
    }
    const tokenLogin = (body: Record<string, string>, form = false) =>
      request(server, "POST", "/oauth/api/auth/token-login", form ? { form: body } : { json: body });

    it("starts a session exactly once per token", async () => {
      const userId = await createUser(server);
      const token = await tokenFor(userId);
      const first = await tokenLogin({ token }, true);
      expect(first.status).toBe(204);
      const me = await request(server, "GET", "/oauth/api/me", { headers: { cookie: first.cookie! } });
      expect(me.body.user.ids.user_id).toBe(userId);

      const again = await tokenLogin({ token });
      expect(again.status).toBe(400);
      expect(errorName(again.body)).toBe("pkg/identityserver/store:login_token_already_used");
      expect(again.cookie).toBeUndefined();
    });

    it("lets only one of many parallel redemptions succeed", async () => {
      const token = await tokenFor(await createUser(server));
      const results = await Promise.all(Array.from({ length: 10 }, () => tokenLogin({ token })));
      expect(results.filter((r) => r.status === 204)).toHaveLength(1);
      for (const r of results.filter((r) => r.status !== 204)) expect(errorName(r.body)).toBe("pkg/identityserver/store:login_token_already_used");
    });

    it("rejects blank, unknown and expired tokens", async () => {
      const blank = await tokenLogin({ token: " " });
      expect(blank.status).toBe(400);
      expect(errorName(blank.body)).toBe("pkg/account:missing_token");
      const unknown = await tokenLogin({ token: "NOTATOKEN" });
      expect(unknown.status).toBe(404);
      expect(errorName(unknown.body)).toBe("pkg/identityserver/store:login_token_not_found");

      const token = await tokenFor(await createUser(server));
      clock.advance(server.config.loginTokens.ttlMs + 1000);
      const expired = await tokenLogin({ token });
      expect(expired.status).toBe(400);
      expect(errorName(expired.body)).toBe("pkg/identityserver/store:login_token_expired");
    });

    it("does not log in a user who was deleted or suspended after the token was made", async () => {
      const deleted = await createUser(server);
      const deletedToken = await tokenFor(deleted);
      await server.client(UserRegistry, "connect", server.adminKey).delete({ userId: deleted });
      expect(errorName((await tokenLogin({ token: deletedToken })).body)).toBe("pkg/identityserver/store:login_token_not_found");

      const suspended = await createUser(server);
      const suspendedToken = await tokenFor(suspended);
      await server.client(UserRegistry, "connect", server.adminKey).update({ user: { ids: { userId: suspended }, state: State.SUSPENDED }, fieldMask: { paths: ["state"] } });
      const res = await tokenLogin({ token: suspendedToken });
      expect(res.status).toBe(403);
      expect(errorName(res.body)).toBe("pkg/identityserver:user_suspended");
    });
  });
}
