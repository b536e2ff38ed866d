// Every method of every service at its upstream HTTP binding under /api/v3, with plain fetch on every database
// backend: success, upstream's error shape and status, query parameters, field masks, totals, forwarded headers,
// CORS, the session cookie, and the OpenAPI description.
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Is } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { api, fails, ok } from "./support.js";

const PASSWORD = "Secret-Passw0rd";
const CONSOLE = "https://console.example.com";

for (const backend of databaseBackends()) {
  describe(`HTTP/JSON API on ${backend.name}`, () => {
    let server: TestServer;
    let admin: string;
    let seq = 0;
    const uniqueId = (prefix: string) => `${prefix}-${++seq}`;

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", LOGIN_TOKENS_ENABLED: "true", CORS_ORIGINS: CONSOLE, AUTH_PROVIDER_SECRET_KEY: "5e".repeat(32) });
      admin = server.adminKey;
    });
    afterAll(async () => { await server?.close(); });

    /** An anonymous self-registration over HTTP; returns the user's ID. */
    async function register(userId = uniqueId("user")): Promise<string> {
      await ok(api(server, "POST", "/users", { json: { user: { ids: { user_id: userId }, primary_email_address: `${userId}@example.com`, password: PASSWORD, name: `Name ${userId}` } } }));
      return userId;
    }

    /** A key of the user's own, minted by the admin. */
    async function keyOf(userId: string, rights = ["RIGHT_USER_ALL"]): Promise<string> {
      const key = await ok(api(server, "POST", `/users/${userId}/api-keys`, { token: admin, json: { name: "test", rights } }));
      return key.key;
    }

    describe("UserRegistry", () => {
      it("Create: anonymous registration answers the user in protojson with proto names; a taken ID is 409", async () => {
        const userId = uniqueId("user");
        const user = await ok(api(server, "POST", "/users", { json: { user: { ids: { user_id: userId }, primary_email_address: `${userId}@example.com`, password: PASSWORD } } }));
        expect(user.ids).toEqual({ user_id: userId });
        expect(user.primary_email_address).toBe(`${userId}@example.com`);
        expect(user.state).toBe("STATE_APPROVED");
        expect(user.password).toBeUndefined(); // defaults and secrets are not written
        expect(Date.parse(user.created_at)).not.toBeNaN();
        await fails(api(server, "POST", "/users", { json: { user: { ids: { user_id: userId }, primary_email_address: "x@example.com", password: PASSWORD } } }), 409, 6, "pkg/util/store:already_exists");
        await fails(api(server, "POST", "/users", { json: { user: { ids: { user_id: "x" } } } }), 400, 3, "pkg/errors:validation");
      });

      it("Get: the field mask from the query selects fields; unknown users are 404, anonymous callers 401", async () => {
        const userId = await register();
        const user = await ok(api(server, "GET", `/users/${userId}?field_mask=name,primary_email_address`, { token: admin }));
        expect(user).toEqual({ ids: { user_id: userId }, created_at: user.created_at, updated_at: user.updated_at, name: `Name ${userId}`, primary_email_address: `${userId}@example.com` });
        const bare = await ok(api(server, "GET", `/users/${userId}`, { token: admin }));
        expect(bare.name).toBeUndefined();
        await fails(api(server, "GET", "/users/nobody-here", { token: admin }), 404, 5, "pkg/identityserver/store:user_not_found");
        await fails(api(server, "GET", `/users/${userId}?field_mask=password`, { token: admin }), 400, 3, "pkg/rpcmiddleware/validator:field_mask_paths");
        await fails(api(server, "GET", `/users/${userId}`, { token: "NNSXS.NOTAKEY.NOTASECRET" }), 401, 16, "pkg/identityserver:api_key_not_found");
      });

      it("List: pagination, order and mask from the query, the total in X-Total-Count; non-admins are 403", async () => {
        await register();
        await register();
        const res = await api(server, "GET", "/users?limit=2&page=1&order=-created_at&field_mask=name", { token: admin });
        expect(res.status).toBe(200);
        const total = Number(res.headers.get("x-total-count"));
        expect(total).toBeGreaterThanOrEqual(3);
        expect(res.body.users).toHaveLength(2);
        expect(res.body.users[0].name).toMatch(/^Name /);
        const all = await api(server, "GET", `/users?limit=1000`, { token: admin });
        expect(all.body.users).toHaveLength(total);
        await fails(api(server, "GET", "/users?limit=5000", { token: admin }), 400, 3, "pkg/errors:validation");
        await fails(api(server, "GET", "/users", { token: await keyOf(await register()) }), 403, 7, "pkg/identityserver:permission_denied");
      });

      it("Update: body with the path's user ID; the mask as an object or a string, enums with or without prefix", async () => {
        const userId = await register();
        const user = await ok(api(server, "PUT", `/users/${userId}`, { token: admin, json: { user: { name: "Renamed", state: "SUSPENDED", state_description: "spam" }, field_mask: { paths: ["name", "state", "state_description"] } } }));
        expect([user.name, user.state, user.state_description]).toEqual(["Renamed", "STATE_SUSPENDED", "spam"]);
        const again = await ok(api(server, "PUT", `/users/${userId}`, { token: admin, json: { user: { ids: { user_id: "ignored" }, name: "Again", state: "STATE_APPROVED" }, field_mask: "name,state" } }));
        expect([again.ids.user_id, again.name, again.state]).toEqual([userId, "Again", "STATE_APPROVED"]);
        await fails(api(server, "PUT", `/users/${userId}`, { token: admin, json: { user: { name: "x" }, field_mask: { paths: ["password"] } } }), 400, 3, "pkg/rpcmiddleware/validator:field_mask_paths");
        await fails(api(server, "PUT", `/users/${userId}`, { token: admin, json: "{" }), 400, 3, "pkg/rpcserver:request_body");
      });

      it("UpdatePassword and CreateTemporaryPassword (no body at all)", async () => {
        const userId = await register();
        expect(await ok(api(server, "PUT", `/users/${userId}/password`, { json: { old: PASSWORD, new: "Another-Passw0rd" } }))).toEqual({});
        await fails(api(server, "PUT", `/users/${userId}/password`, { json: { old: PASSWORD, new: "Third-Passw0rd" } }), 401, 16, "pkg/identityserver:old_password");
        const before = server.mail.length;
        expect(await ok(api(server, "POST", `/users/${userId}/temporary_password`))).toEqual({});
        await server.settle();
        expect(server.mail.slice(before).some((m) => m.to === `${userId}@example.com`)).toBe(true);
      });

      it("Delete, Restore and Purge", async () => {
        const userId = await register();
        expect(await ok(api(server, "DELETE", `/users/${userId}`, { token: admin }))).toEqual({});
        const deleted = await api(server, "GET", `/users?deleted=true&limit=1000`, { token: admin });
        expect(deleted.body.users.map((u: any) => u.ids.user_id)).toContain(userId);
        expect(await ok(api(server, "POST", `/users/${userId}/restore`, { token: admin }))).toEqual({});
        await ok(api(server, "GET", `/users/${userId}`, { token: admin }));
        expect(await ok(api(server, "DELETE", `/users/${userId}/purge`, { token: admin }))).toEqual({});
        await fails(api(server, "GET", `/users/${userId}`, { token: admin }), 404, 5, "pkg/identityserver/store:user_not_found");
        await fails(api(server, "DELETE", "/users/x", { token: admin }), 400, 3, "pkg/ttnpb:identifiers");
      });
    });

    describe("UserAccess", () => {
      it("ListRights, and every API key call; rights with or without prefix, X-Total-Count on the list", async () => {
        const userId = await register();
        const own = await keyOf(userId);
        const rights = await ok(api(server, "GET", `/users/${userId}/rights`, { token: own }));
        expect(rights.rights).toContain("RIGHT_USER_INFO");

        const created = await ok(api(server, "POST", `/users/${userId}/api-keys`, { token: own, json: { name: "ci", rights: ["USER_INFO", "RIGHT_USER_SETTINGS_BASIC"] } }));
        expect(created.key).toMatch(/^NNSXS\./);
        expect(created.rights).toEqual(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_BASIC"]);
        const got = await ok(api(server, "GET", `/users/${userId}/api-keys/${created.id}`, { token: own }));
        expect([got.name, got.key]).toEqual(["ci", undefined]);

        const list = await api(server, "GET", `/users/${userId}/api-keys?limit=1&order=name`, { token: own });
        expect(list.status).toBe(200);
        expect(list.headers.get("x-total-count")).toBe("2");
        expect(list.body.api_keys.map((k: any) => k.name)).toEqual(["ci"]);

        const updated = await ok(api(server, "PUT", `/users/${userId}/api-keys/${created.id}`, { token: own, json: { api_key: { name: "renamed" }, field_mask: { paths: ["name"] } } }));
        expect([updated.id, updated.name]).toEqual([created.id, "renamed"]);
        expect(await ok(api(server, "DELETE", `/users/${userId}/api-keys/${created.id}`, { token: own }))).toEqual({});
        await fails(api(server, "GET", `/users/${userId}/api-keys/${created.id}`, { token: own }), 404, 5, "pkg/identityserver/store:api_key_not_found");
        // Unknown enum names are dropped with unknown fields, as upstream's gateway does; then no right is left.
        await fails(api(server, "POST", `/users/${userId}/api-keys`, { token: own, json: { rights: ["RIGHT_NONSENSE"] } }), 400, 3, "pkg/errors:validation");
      });

      it("CreateLoginToken: a field from the query on a POST without body", async () => {
        const userId = await register();
        const mailed = async () => { await server.settle(); return server.mail.filter((m) => m.to === `${userId}@example.com` && m.subject.startsWith("Your login link")).length; };
        const res = await ok(api(server, "POST", `/users/${userId}/login-tokens?skip_email=true`, { token: admin }));
        expect(res.token).toMatch(/.{8,}/);
        expect(await mailed()).toBe(0);
        expect(await ok(api(server, "POST", `/users/${userId}/login-tokens`))).toEqual({}); // anonymous: by e-mail only
        expect(await mailed()).toBe(1);
      });
    });

    describe("EntityAccess", () => {
      it("AuthInfo: empty for anonymous callers, the key for a key", async () => {
        expect(await ok(api(server, "GET", "/auth_info"))).toEqual({});
        const info = await ok(api(server, "GET", "/auth_info", { token: admin }));
        expect(info.is_admin).toBe(true);
        expect(info.api_key.entity_ids).toEqual({ user_ids: { user_id: "admin-user" } });
        expect(info.universal_rights.rights).toContain("RIGHT_USER_ALL");
      });
    });

    describe("UserSessionRegistry and the session cookie", () => {
      it("List and Delete, with the cookie standing in for a bearer, under the same cross-site rules", async () => {
        const userId = await register();
        const login = await fetch(`${server.baseUrl}/oauth/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user_id: userId, password: PASSWORD }) });
        expect(login.status).toBe(204);
        const cookie = login.headers.get("set-cookie")!.split(";")[0]!;

        const list = await api(server, "GET", `/users/${userId}/sessions?order=-created_at&limit=10`, { headers: { cookie } });
        expect(list.status).toBe(200);
        expect(list.headers.get("x-total-count")).toBe("1");
        const [session] = list.body.sessions;
        expect(session.user_ids).toEqual({ user_id: userId });

        await fails(api(server, "DELETE", `/users/${userId}/sessions/${session.session_id}`, { headers: { cookie, origin: "https://evil.example.com" } }), 403, 7, "pkg/webmiddleware:invalid_csrf_token");
        await ok(api(server, "GET", `/users/${userId}/sessions`, { headers: { cookie, origin: CONSOLE } }));
        expect(await ok(api(server, "DELETE", `/users/${userId}/sessions/${session.session_id}`, { headers: { cookie, origin: CONSOLE } }))).toEqual({});
        await fails(api(server, "GET", `/users/${userId}/sessions`, { headers: { cookie } }), 401, 16, "pkg/identityserver:token_not_found");
      });
    });

    describe("UserInvitationRegistry", () => {
      it("Send, List with X-Total-Count, and Delete with the e-mail from the query", async () => {
        const email = `${uniqueId("invitee")}@example.com`;
        const sent = await ok(api(server, "POST", "/invitations", { token: admin, json: { email } }));
        expect(sent.email).toBe(email);
        const list = await api(server, "GET", "/invitations?limit=100", { token: admin });
        expect(list.status).toBe(200);
        expect(Number(list.headers.get("x-total-count"))).toBeGreaterThanOrEqual(1);
        expect(list.body.invitations.map((i: any) => i.email)).toContain(email);
        expect(await ok(api(server, "DELETE", `/invitations?email=${encodeURIComponent(email)}`, { token: admin }))).toEqual({});
        const after = await api(server, "GET", "/invitations?limit=100", { token: admin });
        expect((after.body.invitations ?? []).map((i: any) => i.email)).not.toContain(email);
        await fails(api(server, "POST", "/invitations", { json: { email } }), 403, 7, "pkg/identityserver:no_invite_rights");
      });
    });

    describe("EntityRegistrySearch", () => {
      it("SearchUsers: text, repeated enum states by name and number, mask and total", async () => {
        const userId = await register(uniqueId("searchable"));
        const suspended = await register(uniqueId("searchable"));
        await ok(api(server, "PUT", `/users/${suspended}`, { token: admin, json: { user: { state: "STATE_SUSPENDED" }, field_mask: "state" } }));
        const res = await api(server, "GET", "/search/users?query=searchable&state=STATE_APPROVED&state=4&field_mask=name,state&order=user_id", { token: admin });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-total-count")).toBe("2");
        expect(res.body.users.map((u: any) => [u.ids.user_id, u.state])).toEqual([[userId, "STATE_APPROVED"], [suspended, "STATE_SUSPENDED"]]);
        const approved = await api(server, "GET", "/search/users?query=searchable&state=APPROVED", { token: admin });
        expect(approved.body.users.map((u: any) => u.ids.user_id)).toEqual([userId]);
        await fails(api(server, "GET", "/search/users?state=STATE_NOPE", { token: admin }), 400, 3, "pkg/errors:validation");
      });
    });

    describe("NotificationService", () => {
      it("List with status filter and total, UpdateStatus with a body", async () => {
        const userId = await register();
        const own = await keyOf(userId); // raises api_key_created for the user
        await server.settle();
        const list = await api(server, "GET", `/users/${userId}/notifications?status=NOTIFICATION_STATUS_UNSEEN&limit=10`, { token: own });
        expect(list.status).toBe(200);
        expect(list.headers.get("x-total-count")).toBe("1");
        const [note] = list.body.notifications;
        expect(note.notification_type).toBe("api_key_created");
        expect(note.data["@type"]).toBe("type.googleapis.com/ttn.lorawan.v3.APIKey");
        expect(Object.keys(note.data)[0]).toBe("@type"); // first, as Go's protojson writes it
        expect(await ok(api(server, "PATCH", `/users/${userId}/notifications`, { token: own, json: { ids: [note.id], status: "NOTIFICATION_STATUS_SEEN" } }))).toEqual({});
        const unseen = await ok(api(server, "GET", `/users/${userId}/notifications?status=UNSEEN`, { token: own }));
        expect(unseen.notifications ?? []).toEqual([]);
        const seen = await ok(api(server, "GET", `/users/${userId}/notifications?status=NOTIFICATION_STATUS_SEEN`, { token: own }));
        expect(seen.notifications.map((n: any) => n.status)).toEqual(["NOTIFICATION_STATUS_SEEN"]);
        await fails(api(server, "GET", `/users/${userId}/notifications`), 403, 7, "pkg/auth/rights:no_user_rights");
        await fails(api(server, "PATCH", `/users/${userId}/notifications`, { token: own, json: { ids: ["nope"] } }), 400, 3, "pkg/errors:validation");
      });
    });

    describe("AuthenticationProviderRegistry and ExternalUserRegistry", () => {
      it("every method, nested path fields included", async () => {
        const providerId = uniqueId("idp");
        const provider = await ok(api(server, "POST", "/authentication_providers", { token: admin, json: {
          authentication_provider: { ids: { provider_id: providerId }, name: "Corp", configuration: { oidc: { client_id: "c", client_secret: "s", provider_url: "https://idp.example.com/" } } },
        } }));
        expect(provider.ids).toEqual({ provider_id: providerId });
        const got = await ok(api(server, "GET", `/authentication_providers/${providerId}?field_mask=name`, { token: admin }));
        expect(got.name).toBe("Corp");
        const list = await api(server, "GET", "/authentication_providers?limit=10&order=provider_id&field_mask=name", { token: admin });
        expect(list.status).toBe(200);
        expect(Number(list.headers.get("x-total-count"))).toBeGreaterThanOrEqual(1);
        expect(list.body.providers.map((p: any) => p.ids.provider_id)).toContain(providerId);
        const updated = await ok(api(server, "PUT", `/authentication_providers/${providerId}`, { token: admin, json: { authentication_provider: { name: "Corporate" }, field_mask: { paths: ["name"] } } }));
        expect(updated.name).toBe("Corporate");

        const userId = await register();
        const link = await ok(api(server, "POST", `/authentication_providers/${providerId}/external_users`, { token: admin, json: { external_user: { user_ids: { user_id: userId }, external_id: "sub-1" } } }));
        expect(link).toMatchObject({ user_ids: { user_id: userId }, provider_ids: { provider_id: providerId }, external_id: "sub-1" });
        expect((await ok(api(server, "GET", `/authentication_providers/${providerId}/users/${userId}`, { token: admin }))).external_id).toBe("sub-1");
        expect((await ok(api(server, "GET", `/authentication_providers/${providerId}/external_users/sub-1`, { token: admin }))).user_ids.user_id).toBe(userId);
        expect(await ok(api(server, "DELETE", `/authentication_providers/${providerId}/external_users/sub-1`, { token: admin }))).toEqual({});
        await fails(api(server, "GET", `/authentication_providers/${providerId}/external_users/sub-1`, { token: admin }), 404, 5, "pkg/identityserver/store:external_user_not_found");

        expect(await ok(api(server, "DELETE", `/authentication_providers/${providerId}`, { token: admin }))).toEqual({});
        await fails(api(server, "GET", `/authentication_providers/${providerId}`, { token: admin }), 404, 5, "pkg/identityserver/store:authentication_provider_not_found");
        await fails(api(server, "GET", "/authentication_providers", { token: await keyOf(userId) }), 403, 7, "pkg/identityserver:permission_denied");
      });
    });

    describe("Is", () => {
      it("GetConfiguration answers anyone with this server's settings", async () => {
        const { configuration } = await ok(api(server, "GET", "/is/configuration"));
        expect(configuration.user_registration).toEqual({
          enabled: true,
          invitation: { required: false, token_ttl: "604800s" },
          contact_info_validation: { required: false, token_ttl: "172800s", retry_interval: "3600s" },
          admin_approval: { required: false },
          password_requirements: { min_length: 8, max_length: 1000, min_uppercase: 1, min_digits: 1, min_special: 0 },
        });
        expect(configuration.profile_picture).toEqual({ disable_upload: false, use_gravatar: true });
        expect(configuration.user_rights).toEqual({ create_applications: true, create_clients: true, create_gateways: true, create_organizations: true });
        expect(configuration.admin_rights).toEqual({ all: true });
        // The same service over gRPC, where upstream's CLI calls it.
        const grpc = await server.client(Is, "grpc").getConfiguration({});
        expect(grpc.configuration?.userRegistration?.passwordRequirements?.minLength).toBe(8);
      });
    });

    describe("the gateway itself", () => {
      it("forwards the warning header as X-Warning", async () => {
        const userId = await register();
        const own = await keyOf(userId);
        await ok(api(server, "PUT", `/users/${userId}`, { token: admin, json: { user: { state: "STATE_SUSPENDED", state_description: "too many requests" }, field_mask: "state,state_description" } }));
        const res = await api(server, "GET", `/users/${userId}/rights`, { token: own });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-warning")).toBe("Restricted rights after account suspension: too many requests");
      });

      it("refuses a body nested absurdly deep before parsing it, from anyone, with the body error, and closes the connection", async () => {
        // Millions of `[` fit in Update's 16 MiB and cost V8's JSON.parse seconds of the event loop each.
        const deep = `{"user":{"name":${"[".repeat(2_000_000)}`;
        const refused = await api(server, "PUT", "/users/admin-user", { headers: { "content-type": "application/json" }, body: deep });
        const body = await fails(Promise.resolve(refused), 400, 3, "pkg/rpcserver:request_body");
        expect(body.details[0].attributes.reason).toBe("JSON nested more than 100 levels deep");
        // The rest of that body is unread: the connection cannot carry another request, and says so.
        expect(refused.headers.get("connection")).toBe("close");
        const nested = { name: "Nested", attributes: { [`${"[".repeat(40)}`]: "brackets in strings do not count" } };
        expect(await ok(api(server, "PUT", "/users/admin-user", { token: admin, json: { user: nested, field_mask: "name" } }))).toMatchObject({ name: "Nested" });
      });

      it("answers unknown paths with 404 and other methods with 405, in grpc-gateway's shape", async () => {
        const badQuery = await fails(api(server, "GET", "/users/admin-user?field_mask=%ZZ", { token: admin }), 400, 3, "pkg/rpcserver:request_body");
        expect(badQuery.details[0].attributes.reason).toBe("the query string is not percent-encoded UTF-8");
        const missing = await api(server, "GET", "/no/such/thing");
        expect([missing.status, missing.body]).toEqual([404, { code: 5, message: "Not Found" }]); // no empty details, as protojson
        const wrong = await api(server, "PATCH", "/users/admin-user/rights", { token: admin });
        expect([wrong.status, wrong.body.code, wrong.headers.get("allow")]).toEqual([405, 12, "GET"]);
      });

      /** The served OpenAPI description. */
      async function openApi(): Promise<any> {
        const res = await fetch(`${server.baseUrl}/api/v3/openapi.json`);
        expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/json"]);
        return res.json();
      }

      it("is valid OpenAPI 3.0", async () => {
        const doc = await openApi();
        const result = await new Validator().validate(doc);
        expect(result.errors ?? []).toEqual([]);
        expect(result.valid).toBe(true);
        expect(doc.servers).toEqual([{ url: "/api/v3" }]);
      });

      it("describes every binding: path and query parameters, bodies, responses and errors", async () => {
        const doc = await openApi();
        const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
          .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`));
        expect(operations).toEqual(expect.arrayContaining([
          "GET /users/{user_ids.user_id} UserRegistry_Get",
          "PUT /users/{user.ids.user_id} UserRegistry_Update",
          "DELETE /users/{user_id}/purge UserRegistry_Purge",
          "GET /users/{receiver_ids.user_id}/notifications NotificationService_List",
          "PATCH /users/{receiver_ids.user_id}/notifications NotificationService_UpdateStatus",
          "GET /auth_info EntityAccess_AuthInfo",
          "GET /is/configuration Is_GetConfiguration",
          "POST /authentication_providers/{external_user.provider_ids.provider_id}/external_users ExternalUserRegistry_Create",
        ]));
        expect(operations).toHaveLength(37); // every method with a rule: 9 + 7 + 1 + 2 + 3 + 1 + 2 + 4 + 5 + 1 + 2

        const get = doc.paths["/users/{user_ids.user_id}"].get;
        expect(get.parameters).toEqual(expect.arrayContaining([
          { name: "user_ids.user_id", in: "path", required: true, schema: { type: "string" } },
          expect.objectContaining({ name: "field_mask", in: "query", schema: { type: "string" } }),
        ]));
        expect(get.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ttn.lorawan.v3.User" });
        expect(get.responses.default.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/google.rpc.Status" });

        const search = doc.paths["/search/users"].get.parameters;
        expect(search).toEqual(expect.arrayContaining([
          { name: "state", in: "query", schema: { type: "array", items: { $ref: "#/components/schemas/ttn.lorawan.v3.State" } }, style: "form", explode: true },
          { name: "limit", in: "query", schema: { type: "integer", format: "int64", minimum: 0 } },
        ]));
        expect(doc.components.schemas["ttn.lorawan.v3.State"].enum).toContain("STATE_APPROVED");

        const update = doc.paths["/users/{user.ids.user_id}"].put;
        expect(update.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ttn.lorawan.v3.UpdateUserRequest" });
        expect(update.parameters.map((p: any) => p.in)).toEqual(["path"]); // body "*": nothing from the query
        expect(doc.components.schemas["ttn.lorawan.v3.User"].properties.primary_email_address).toEqual({ type: "string" });
        expect(doc.components.schemas["ttn.lorawan.v3.User"].properties.created_at).toEqual({ type: "string", format: "date-time" });
      });

      it("passes CORS preflights of every method the API uses, with the headers upstream's SDK sends, for allowed origins only", async () => {
        for (const method of ["GET", "PUT", "DELETE", "PATCH", "POST"]) {
          const res = await fetch(`${server.baseUrl}/api/v3/users/admin-user`, {
            method: "OPTIONS", headers: { origin: CONSOLE, "access-control-request-method": method, "access-control-request-headers": "authorization,content-type,x-csrf-token" },
          });
          expect(res.status).toBe(204);
          expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
          expect(res.headers.get("access-control-allow-methods")!.split(", ")).toContain(method);
          const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(", ");
          expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "x-csrf-token"]));
        }
        const list = await api(server, "GET", "/users?limit=1", { token: admin, headers: { origin: CONSOLE } });
        expect(list.headers.get("access-control-expose-headers")).toContain("X-Total-Count");
        expect(list.headers.get("access-control-expose-headers")).toContain("X-Warning");
        const foreign = await fetch(`${server.baseUrl}/api/v3/users`, { method: "OPTIONS", headers: { origin: "https://evil.example.com", "access-control-request-method": "PUT" } });
        expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
      });
    });
  });
}
