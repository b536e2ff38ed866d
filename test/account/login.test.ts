// The account app: password login, the session cookie, /me, logout.
import { pbkdf2Sync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { useProductionPasswordHashing } from "../support/password-hashing.js";
import { ADMIN_PASSWORD, databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { PASSWORD, createUser, errorName, loggedIn, login, request, uniqueId } from "./support.js";

for (const backend of databaseBackends()) {
  describe(`account login on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { CORS_ORIGINS: "https://console.example.com" }); });
    afterAll(async () => { await server?.close(); });

    it("logs in with JSON, sets an HttpOnly SameSite cookie, and /me describes the session", async () => {
      const userId = await createUser(server);
      const res = await login(server, userId);
      expect(res.status).toBe(204);
      const setCookie = res.headers.get("set-cookie")!;
      expect(setCookie).toMatch(/^_session=[^;]+; Path=\//);
      expect(setCookie).toContain("HttpOnly");
      expect(setCookie).toContain("SameSite=Lax");
      expect(setCookie).not.toContain("Secure"); // plain HTTP, PUBLIC_URL http, COOKIE_SECURE auto

      const me = await request(server, "GET", "/oauth/api/me", { headers: { cookie: res.cookie! } });
      expect(me.status).toBe(200);
      expect(me.body.user.ids.user_id).toBe(userId);
      expect(me.body.user.primary_email_address).toBeUndefined(); // public-safe
      expect(me.body.session_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(me.body.logged_in_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(me.body.external_providers).toEqual([]); // a password user, linked to no single sign-on provider
      // The cookie holds no user data in clear and is not a bearer token by itself.
      expect(res.cookie).not.toContain(userId);
    });

    it("accepts a form body too", async () => {
      const userId = await createUser(server);
      const res = await request(server, "POST", "/oauth/api/auth/login", { form: { user_id: userId, password: PASSWORD } });
      expect(res.status).toBe(204);
      expect(res.cookie).toBeDefined();
    });

    it("answers an unknown user and a wrong password with the same error", async () => {
      const userId = await createUser(server);
      const wrong = await login(server, userId, "Wrong-Passw0rd");
      const unknown = await login(server, uniqueId("nobody"), "Wrong-Passw0rd");
      for (const res of [wrong, unknown]) {
        expect(res.status).toBe(400);
        expect(errorName(res.body)).toBe("pkg/account/session:no_user_id_password_match");
        expect(res.cookie).toBeUndefined();
      }
      expect(wrong.body.code).toBe(unknown.body.code);
      expect(wrong.body.message).toBe(unknown.body.message);
    });

    it("rejects missing fields, a bad ID and an unparsable body", async () => {
      expect(errorName((await request(server, "POST", "/oauth/api/auth/login", { json: { password: "x" } })).body)).toBe("pkg/account:missing_user_id");
      expect(errorName((await request(server, "POST", "/oauth/api/auth/login", { json: { user_id: "someone" } })).body)).toBe("pkg/account:missing_password");
      const badId = await login(server, "Not_An_ID", "whatever");
      expect(badId.status).toBe(400);
      expect(errorName(badId.body)).toBe("pkg/errors:validation");
      const res = await fetch(`${server.baseUrl}/oauth/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
      expect(res.status).toBe(409);
      expect(errorName(await res.json())).toBe("pkg/account:parse");
    });

    it("logs in a user imported with an upstream PBKDF2 hash and upgrades it to argon2id", async () => {
      onTestFinished(useProductionPasswordHashing()); // the upgrade is to the production parameters
      const userId = await createUser(server);
      const salt = "AbCdEfGhIjKlMnOp";
      const imported = `PBKDF2$sha256$1000$${salt}$${pbkdf2Sync(PASSWORD, salt, 1000, 32, "sha256").toString("base64url")}`;
      await server.db.user.updateMany({ where: { userId }, data: { passwordHash: imported } });
      expect((await login(server, userId)).status).toBe(204);
      const stored = await server.db.user.findFirst({ where: { userId }, select: { passwordHash: true } });
      expect(stored!.passwordHash).toMatch(/^\$argon2id\$/);
      expect((await login(server, userId)).status).toBe(204);
    });

    it("refuses a deleted user like an unknown one", async () => {
      const userId = await createUser(server);
      await server.client(UserRegistry, "connect", server.adminKey).delete({ userId });
      const res = await login(server, userId);
      expect(res.status).toBe(400);
      expect(errorName(res.body)).toBe("pkg/account/session:no_user_id_password_match");
    });

    it("refuses users that are not approved, naming the state, only after the password matched", async () => {
      const cases: [State, string][] = [
        [State.REQUESTED, "pkg/identityserver:user_requested"],
        [State.REJECTED, "pkg/identityserver:user_rejected"],
        [State.SUSPENDED, "pkg/identityserver:user_suspended"],
        [State.FLAGGED, "pkg/identityserver:user_flagged"],
      ];
      for (const [state, name] of cases) {
        const userId = await createUser(server, uniqueId("state"), state);
        const res = await login(server, userId);
        expect(res.status, name).toBe(403);
        expect(errorName(res.body)).toBe(name);
        expect(res.cookie).toBeUndefined();
        const wrong = await login(server, userId, "Wrong-Passw0rd");
        expect(errorName(wrong.body)).toBe("pkg/account/session:no_user_id_password_match");
      }
    });

    it("does not accept a temporary password for login", async () => {
      const userId = await createUser(server);
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      // Not the address confirmation mail that creating the user also sent.
      const temporaryMail = (m: { to: string; text: string }) => m.to === `${userId}@example.com` && m.text.includes("Temporary password:");
      await expect.poll(() => server.mail.some(temporaryMail)).toBe(true);
      const mail = server.mail.findLast(temporaryMail)!;
      const temporary = mail.text.match(/Temporary password: (\S+)/)?.[1];
      expect(temporary).toBeDefined();
      const res = await login(server, userId, temporary!);
      expect(errorName(res.body)).toBe("pkg/account/session:no_user_id_password_match");
    });

    it("requires a live session for /me and logout, and logout ends it", async () => {
      expect((await request(server, "GET", "/oauth/api/me")).status).toBe(401);
      const noCookie = await request(server, "POST", "/oauth/api/auth/logout");
      expect(noCookie.status).toBe(401);
      expect(errorName(noCookie.body)).toBe("pkg/account:not_authenticated");

      const cookie = await loggedIn(server, await createUser(server));
      const out = await request(server, "POST", "/oauth/api/auth/logout", { headers: { cookie } });
      expect(out.status).toBe(204);
      expect(out.headers.get("set-cookie")).toMatch(/^_session=;.*Expires=Thu, 01 Jan 1970/);
      const after = await request(server, "GET", "/oauth/api/me", { headers: { cookie } });
      expect(after.status).toBe(401);
      expect(after.headers.get("set-cookie")).toMatch(/^_session=;/); // the dead cookie is removed
      expect((await request(server, "POST", "/oauth/api/auth/logout", { headers: { cookie } })).status).toBe(401);
    });

    it("rejects a forged cookie secret", async () => {
      const cookie = await loggedIn(server, await createUser(server));
      const forged = cookie.replace(/\.[A-Z2-7]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      const me = await request(server, "GET", "/oauth/api/me", { headers: { cookie: forged } });
      expect(me.status).toBe(401);
      expect(me.body.details[0].cause.name).toBe("invalid_authorization");
    });

    it("refuses logins and logouts posted from another site", async () => {
      const userId = await createUser(server);
      const evil = await login(server, userId, PASSWORD, { origin: "https://evil.example.net" });
      expect(evil.status).toBe(403);
      expect(errorName(evil.body)).toBe("pkg/webmiddleware:invalid_csrf_token");
      const crossSite = await login(server, userId, PASSWORD, { "sec-fetch-site": "cross-site" });
      expect(crossSite.status).toBe(403);

      const allowed = await login(server, userId, PASSWORD, { origin: "https://console.example.com", "sec-fetch-site": "cross-site" });
      expect(allowed.status).toBe(204);
      const own = await login(server, userId, PASSWORD, { origin: server.baseUrl, "sec-fetch-site": "same-origin" });
      expect(own.status).toBe(204);

      const logout = await request(server, "POST", "/oauth/api/auth/logout", { headers: { cookie: own.cookie!, origin: "https://evil.example.net" } });
      expect(logout.status).toBe(403);
      expect((await request(server, "GET", "/oauth/api/me", { headers: { cookie: own.cookie! } })).status).toBe(200);
    });

    it("lets the bootstrapped admin log in", async () => {
      expect((await login(server, "admin-user", ADMIN_PASSWORD)).status).toBe(204);
    });

    it("answers unknown routes with a JSON 404", async () => {
      const res = await request(server, "GET", "/oauth/api/nope");
      expect(res.status).toBe(404);
      expect(res.body.code).toBe(5);
    });
  });
}
