// The console's session list (`GET /oauth/api/sessions`: browser and client address recorded at login) and
// "sign out all other sessions" (`POST /oauth/api/sessions/end-others`), over real HTTP on every database backend.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { createUser, errorName, login, request, uniqueId } from "./support.js";

for (const backend of databaseBackends()) {
  describe(`account session details on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { TRUST_PROXY: "true" }); });
    afterAll(async () => { await server?.close(); });

    const signIn = async (userId: string, agent: string, address: string) => {
      const res = await login(server, userId, undefined, { "user-agent": agent, "x-forwarded-for": address });
      expect(res.status).toBe(204);
      return res.cookie!;
    };

    it("lists the user's own sessions with the browser and address of their login, marking this one", async () => {
      const userId = await createUser(server, uniqueId("details"));
      const phone = await signIn(userId, "Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile", "198.51.100.7");
      const laptop = await signIn(userId, "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0", "203.0.113.9");
      const someoneElse = await createUser(server, uniqueId("other"));
      await signIn(someoneElse, "curl/8.0", "192.0.2.1");

      const res = await request(server, "GET", "/oauth/api/sessions", { headers: { cookie: laptop } });
      expect(res.status).toBe(200);
      expect(res.body.sessions).toHaveLength(2);
      const [newest, older] = res.body.sessions;
      expect(newest).toMatchObject({ user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0", client_address: "203.0.113.9", current: true });
      expect(older).toMatchObject({ user_agent: "Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile", client_address: "198.51.100.7", current: false });
      for (const s of res.body.sessions) {
        expect(Date.parse(s.created_at)).toBeGreaterThan(0);
        expect(Date.parse(s.last_seen_at)).toBeGreaterThan(0);
        expect(Object.keys(s)).not.toContain("secret_hash");
      }
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: phone } })).status).toBe(200);
    });

    it("ends every other session of the user and keeps this one", async () => {
      const userId = await createUser(server, uniqueId("end-others"));
      const first = await signIn(userId, "A", "198.51.100.1");
      const second = await signIn(userId, "B", "198.51.100.2");
      const current = await signIn(userId, "C", "198.51.100.3");
      const bystander = await createUser(server, uniqueId("bystander"));
      const theirs = await signIn(bystander, "D", "198.51.100.4");

      const ended = await request(server, "POST", "/oauth/api/sessions/end-others", { headers: { cookie: current, origin: server.baseUrl } });
      expect([ended.status, ended.body]).toEqual([200, { ended: 2 }]);
      for (const cookie of [first, second]) expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status).toBe(401);
      for (const cookie of [current, theirs]) expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie } })).status).toBe(200);
      const again = await request(server, "POST", "/oauth/api/sessions/end-others", { headers: { cookie: current, origin: server.baseUrl } });
      expect(again.body).toEqual({ ended: 0 });
    });

    it("refuses without a session, and a cross-site request", async () => {
      const none = await request(server, "GET", "/oauth/api/sessions");
      expect([none.status, errorName(none.body)]).toEqual([401, "pkg/account:not_authenticated"]);
      const userId = await createUser(server, uniqueId("csrf"));
      const cookie = await signIn(userId, "E", "198.51.100.5");
      const cross = await request(server, "POST", "/oauth/api/sessions/end-others", { headers: { cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" } });
      expect(cross.status).toBe(403);
    });
  });
}
