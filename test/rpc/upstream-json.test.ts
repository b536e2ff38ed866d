// Upstream's JSON dialect over the Connect protocol: snake_case field names, field masks as objects
// with snake_case paths, enum values without their prefix; canonical JSON keeps working beside it.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";

for (const backend of databaseBackends()) {
  describe(`upstream JSON over Connect on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true" }); });
    afterAll(async () => { await server?.close(); });

    async function call(method: string, body: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${server.baseUrl}/ttn.lorawan.v3.${method}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.adminKey}`, ...headers },
        body: typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    }

    it("reads a field mask sent as an object with snake_case paths", async () => {
      const res = await call("UserRegistry/Get", { user_ids: { user_id: "admin-user" }, field_mask: { paths: ["primary_email_address", "console_preferences.console_theme"] } });
      expect(res.status).toBe(200);
      expect(res.body.primary_email_address).toBe("admin@example.com");
      expect(res.body.name).toBeUndefined();
    });

    it("reads a field mask string with snake_case paths, and the canonical camelCase string", async () => {
      for (const mask of ["primary_email_address,admin", "primaryEmailAddress,admin"]) {
        const res = await call("UserRegistry/Get", { user_ids: { user_id: "admin-user" }, field_mask: mask });
        expect(res.status, mask).toBe(200);
        expect(res.body).toMatchObject({ primary_email_address: "admin@example.com", admin: true });
      }
    });

    it("reads enum values without their prefix, in lists and alone", async () => {
      const key = await call("UserAccess/CreateAPIKey", { user_ids: { user_id: "admin-user" }, name: "json", rights: ["USER_INFO", "RIGHT_USER_SETTINGS_BASIC"] });
      expect(key.status).toBe(200);
      expect(key.body.rights).toEqual(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_BASIC"]);
      const user = await call("UserRegistry/Create", {
        user: { ids: { user_id: "json-user" }, primary_email_address: "json@example.com", password: "Json-Passw0rd", state: "FLAGGED" },
      });
      expect(user.status).toBe(200);
      expect(user.body.state).toBe("STATE_FLAGGED");
    });

    it("still refuses what is wrong in either dialect, with a field-level error", async () => {
      const unknownEnum = await call("UserAccess/CreateAPIKey", { user_ids: { user_id: "admin-user" }, rights: ["NO_SUCH_RIGHT"] });
      expect(unknownEnum.status).toBe(400);
      const badMask = await call("UserRegistry/Get", { user_ids: { user_id: "admin-user" }, field_mask: { paths: ["no_such_field"] } });
      expect(badMask.status).toBe(400);
      expect(JSON.stringify(badMask.body)).toContain("no_such_field");
      const notJson = await call("UserRegistry/Get", "{nope");
      expect(notJson.status).toBe(400);
    });

    it("ignores fields it does not know, and refuses a value of the wrong type as Connect does", async () => {
      const unknown = await call("UserRegistry/Get", { user_ids: { user_id: "admin-user" }, field_mask: { paths: ["admin"] }, no_such_field: 1 });
      expect(unknown.status).toBe(200);
      expect(unknown.body.admin).toBe(true);
      const wrongType = await call("UserRegistry/Get", { user_ids: { user_id: ["admin-user"] }, field_mask: { paths: ["admin"] } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.code).toBe("invalid_argument");
      expect(wrongType.body.message).toContain("user_id");
    });

    it("leaves compressed bodies to Connect", async () => {
      const body = gzipSync(JSON.stringify({ user_ids: { user_id: "admin-user" }, field_mask: "primaryEmailAddress" }));
      const res = await call("UserRegistry/Get", new Uint8Array(body), { "content-encoding": "gzip" });
      expect(res.status).toBe(200);
      expect(res.body.primary_email_address).toBe("admin@example.com");
    });
  });
}
