// Upstream's JavaScript SDK (ttn-lw, sdk/js of The Things Stack) against this server. Every request the SDK sends
// for the User APIs was recorded from the SDK itself into upstream-sdk/requests.json (see upstream-sdk/record.sh:
// CI cannot build that SDK, so its requests are replayed here byte for byte, only the placeholders filled in), and
// every answer is read the way the SDK and upstream's console read it: the JSON body as the result, `x-total-count`
// as a list's total, an error as the JSON body with a numeric `code` and an ErrorDetails first in `details`.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { fails, ok, type ApiResponse } from "./support.js";

interface RecordedRequest { method: string; path: string; headers: Record<string, string>; body?: string }
interface RecordedCall { call: string; requests: RecordedRequest[] }
const recorded: { sdk: string; key: RecordedCall[]; session: RecordedCall[] } =
  JSON.parse(readFileSync(new URL("./upstream-sdk/requests.json", import.meta.url), "utf8"));

const CONSOLE = "https://console.example.com";
const PASSWORD = "Secret-Passw0rd";

/** The placeholders record.sh used, and what this run puts in their place. */
type Values = Partial<Record<"NEW-PASSWORD" | "PASSWORD" | "USER-ID" | "INVITED-ID" | "INVITEE" | "KEY-ID" | "SESSION-ID" | "NOTIFICATION-ID" | "INVITATION-TOKEN", string>>;

function fill(text: string, values: Values): string {
  const names = Object.keys(values).sort((a, b) => b.length - a.length) as (keyof Values)[];
  for (const name of names) text = text.replaceAll(name, values[name]!);
  return text;
}

/** The Marshaler.payloadListResponse of the SDK: the list, and the total from the header (else the list's length). */
function sdkList(entity: string, res: ApiResponse): { items: any[]; totalCount: number } {
  const items = res.body?.[entity];
  if (!items) return { items: [], totalCount: 0 };
  const total = Number.parseInt(res.headers.get("x-total-count") ?? "", 10);
  return { items, totalCount: Number.isNaN(total) ? items.length : total };
}

for (const backend of databaseBackends()) {
  describe(`upstream's JavaScript SDK (${recorded.sdk}) on ${backend.name}`, () => {
    let server: TestServer;
    let seq = 0;

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", LOGIN_TOKENS_ENABLED: "true", CORS_ORIGINS: CONSOLE });
    });
    afterAll(async () => { await server?.close(); });

    /**
     * Sends the requests the SDK sent for the `nth` recorded `call` (they differ in their arguments) and returns the
     * last answer. Key mode: the credential replaces the recorded key ("" for none: a logged-out page). Session
     * mode: the browser adds the cookie, and an Origin on everything but GET, as for a same-origin page.
     */
    async function replay(mode: "key" | "session", call: string, nth: number, values: Values, credential: string): Promise<ApiResponse> {
      const found = recorded[mode].filter((c) => c.call === call)[nth];
      if (!found) throw new Error(`${mode} ${call} #${nth} was not recorded`);
      let last: ApiResponse | undefined;
      for (const req of found.requests) {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v.replace("API-KEY", credential)]));
        if (!credential) delete headers.authorization;
        if (mode === "session") {
          headers.cookie = credential;
          if (req.method !== "GET") headers.origin = server.baseUrl;
        }
        const res = await fetch(`${server.baseUrl}/api/v3${fill(req.path, values)}`, { method: req.method, headers, body: req.body === undefined ? undefined : fill(req.body, values) });
        const text = await res.text();
        last = { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
      }
      return last!;
    }
    const sdk = (call: string, values: Values, credential: string, nth = 0) => replay("key", call, nth, values, credential);
    const browser = (call: string, values: Values, cookie: string, nth = 0) => replay("session", call, nth, values, cookie);

    /** The SDK throws the error body; upstream's console reads `code` and the first detail. */
    async function sdkError(response: Promise<ApiResponse>, status: number, code: number, name: string): Promise<void> {
      const body = await fails(response, status, code, name);
      expect(body.details[0]).toMatchObject({ "@type": "type.googleapis.com/ttn.lorawan.v3.ErrorDetails", message_format: expect.any(String) });
    }

    async function login(userId: string, password = PASSWORD): Promise<string> {
      const res = await fetch(`${server.baseUrl}/oauth/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user_id: userId, password }) });
      expect(res.status, await res.clone().text()).toBe(204);
      return res.headers.get("set-cookie")!.split(";")[0]!;
    }

    it("records every call it replays", () => {
      for (const call of [...recorded.key, ...recorded.session]) expect(call.requests, call.call).toHaveLength(1);
      expect(recorded.key.length).toBeGreaterThanOrEqual(30);
    });

    it("Users: create, get with and without a selector, update by patch, list and search with totals, rights, delete, restore, purge", async () => {
      const admin = server.adminKey;
      const user = `sdk-user-${++seq}`;
      const values: Values = { "USER-ID": user, PASSWORD };

      const info = await ok(sdk("Auth.getAuthInfo", values, admin));
      expect(info.api_key.entity_ids.user_ids.user_id).toBe("admin-user");
      expect(info.is_admin).toBe(true);
      const config = await ok(sdk("Is.getConfiguration", values, admin));
      expect(config.configuration.user_registration.password_requirements.min_length).toBe(8);

      const created = await ok(sdk("Users.create", values, ""));
      expect(created).toMatchObject({ ids: { user_id: user }, name: "SDK user", primary_email_address: `${user}@example.com` });
      expect(created.password).toBeUndefined();

      expect(await ok(sdk("Users.getById", values, admin, 0))).toMatchObject({ ids: { user_id: user }, name: "SDK user", state: "STATE_APPROVED" });
      expect(await ok(sdk("Users.getById", values, admin, 1))).toMatchObject({ name: "SDK user" });
      expect(Object.keys(await ok(sdk("Users.getById", values, admin, 2))).sort()).toEqual(["created_at", "ids", "updated_at"]);

      expect(await ok(sdk("Users.updateById", values, admin, 0))).toMatchObject({ name: "Renamed", description: "via the SDK" });
      expect(await ok(sdk("Users.updateById", values, admin, 1))).toMatchObject({ console_preferences: { console_theme: "CONSOLE_THEME_DARK" } });
      expect(await ok(sdk("Users.updateById", values, admin, 2))).toMatchObject({ state: "STATE_SUSPENDED", state_description: "by the SDK" });

      const all = sdkList("users", await sdk("Users.getAll", values, admin));
      expect(all.items).toHaveLength(2);
      expect(all.totalCount).toBeGreaterThanOrEqual(2); // admin-user, this user, and those of other tests
      const found = sdkList("users", await sdk("Users.search", values, admin, 0));
      expect(found).toEqual({ items: [expect.objectContaining({ ids: { user_id: user }, name: "Renamed" })], totalCount: 1 });
      const byState = sdkList("users", await sdk("Users.search", values, admin, 1));
      expect(byState).toEqual({ items: [expect.objectContaining({ ids: { user_id: user }, state: "STATE_SUSPENDED" })], totalCount: 1 });
      expect((await ok(sdk("Users.getRightsById", values, admin))).rights).toContain("RIGHT_USER_INFO");

      expect(await ok(sdk("Users.deleteById", values, admin))).toEqual({});
      await sdkError(sdk("Users.getById", values, admin, 0), 404, 5, "pkg/identityserver/store:user_not_found");
      expect(await ok(sdk("Users.restoreById", values, admin))).toEqual({});
      expect(await ok(sdk("Users.purgeById", values, admin))).toEqual({});
      await sdkError(sdk("Users.getById", values, admin, 0), 404, 5, "pkg/identityserver/store:user_not_found");
      await sdkError(sdk("Users.getById", values, "NNSXS.NOT.AKEY"), 401, 16, "pkg/identityserver:api_key_not_found");
    });

    it("passwords, invitations, and a registration with an invitation token", async () => {
      const admin = server.adminKey;
      const user = `sdk-pass-${++seq}`;
      const values: Values = { "USER-ID": user, PASSWORD, "NEW-PASSWORD": "Another-Passw0rd", INVITEE: `invitee-${seq}`, "INVITED-ID": `sdk-invited-${seq}` };
      await ok(sdk("Users.create", values, ""));

      const cookie = await login(user);
      expect(await ok(sdk("Users.updatePasswordById", values, cookie.replace("_session=", "ONZW4.")))).toEqual({});
      await sdkError(browser("Auth.getAuthInfo", values, cookie), 401, 16, "pkg/identityserver:token_not_found"); // revoke_all_access
      await login(user, "Another-Passw0rd");
      expect(await ok(sdk("Users.createTemporaryPassword", values, admin))).toEqual({});

      const invitation = await ok(sdk("Users.sendInvite", values, admin));
      expect(invitation).toMatchObject({ email: `invitee-${seq}@example.com`, token: expect.any(String), expires_at: expect.any(String) });
      const invitations = sdkList("invitations", await sdk("Users.getAllInvitations", values, admin));
      expect(invitations.items).toContainEqual(expect.objectContaining({ email: invitation.email }));
      expect(invitations.totalCount).toBe(invitations.items.length);
      const invited = await ok(sdk("Users.create", { ...values, "INVITATION-TOKEN": invitation.token }, "", 1));
      expect(invited.ids.user_id).toBe(`sdk-invited-${seq}`);
      expect(await ok(sdk("Users.deleteInvite", values, admin))).toEqual({});
    });

    it("API keys, sessions and login tokens", async () => {
      const admin = server.adminKey;
      const user = `sdk-keys-${++seq}`;
      const values: Values = { "USER-ID": user, PASSWORD };
      await ok(sdk("Users.create", values, ""));

      const key = await ok(sdk("ApiKeys.create", values, admin));
      expect(key).toMatchObject({ key: expect.stringMatching(/^NNSXS\./), rights: ["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_BASIC"], expires_at: "2099-01-01T00:00:00Z" });
      values["KEY-ID"] = key.id;
      expect(sdkList("api_keys", await sdk("ApiKeys.getAll", values, admin))).toEqual({ items: [expect.objectContaining({ id: key.id })], totalCount: 1 });
      expect(await ok(sdk("ApiKeys.getById", values, admin))).toMatchObject({ id: key.id, name: "sdk" });
      expect(await ok(sdk("ApiKeys.updateById", values, admin))).toMatchObject({ id: key.id, name: "renamed", rights: ["RIGHT_USER_INFO"] });
      expect(await ok(sdk("ApiKeys.deleteById", values, admin))).toEqual({});
      await sdkError(sdk("ApiKeys.getById", values, admin), 404, 5, "pkg/identityserver/store:api_key_not_found");

      await login(user);
      const sessions = sdkList("sessions", await sdk("Sessions.getAllSessions", values, admin, 0));
      expect(sessions).toEqual({ items: [expect.objectContaining({ user_ids: { user_id: user }, session_id: expect.any(String) })], totalCount: 1 });
      expect(sdkList("sessions", await sdk("Sessions.getAllSessions", values, admin, 1)).totalCount).toBe(1);
      expect(await ok(sdk("Sessions.deleteSession", { ...values, "SESSION-ID": sessions.items[0].session_id }, admin))).toEqual({});
      expect(sdkList("sessions", await sdk("Sessions.getAllSessions", values, admin, 0))).toEqual({ items: [], totalCount: 0 });

      const token = await ok(sdk("api.UserAccess.CreateLoginToken", values, admin));
      expect(token.token).toEqual(expect.any(String));
    });

    it("the account app's cookie session, with the X-CSRF-Token it always sends", async () => {
      const user = `sdk-browser-${++seq}`;
      const values: Values = { "USER-ID": user, PASSWORD };
      await ok(sdk("Users.create", values, ""));
      const cookie = await login(user);

      expect((await ok(browser("Auth.getAuthInfo", values, cookie))).user_session.user_ids.user_id).toBe(user);
      expect(await ok(browser("Users.getById", values, cookie))).toMatchObject({ ids: { user_id: user }, name: "SDK user", state: "STATE_APPROVED" });
      expect(await ok(browser("Users.updateById", values, cookie))).toMatchObject({ name: "From the browser" });
      expect(await ok(browser("ApiKeys.create", values, cookie))).toMatchObject({ name: "browser", key: expect.stringMatching(/^NNSXS\./) });
      await server.settle();
      const unseen = sdkList("notifications", await browser("Notifications.getAllNotifications", values, cookie));
      expect(unseen.totalCount).toBe(1);
      expect(unseen.items[0]).toMatchObject({
        notification_type: "api_key_created",
        data: { "@type": "type.googleapis.com/ttn.lorawan.v3.APIKey", name: "browser", rights: ["RIGHT_USER_INFO"] },
      });
      expect(unseen.items[0].status).toBeUndefined(); // NOTIFICATION_STATUS_UNSEEN is the zero value, left out
    });

    it("notifications: the console's unseen poll (page 1, limit 1), the full list, and archiving", async () => {
      const user = `sdk-notes-${++seq}`;
      const values: Values = { "USER-ID": user, PASSWORD };
      await ok(sdk("Users.create", values, ""));
      const own = await ok(sdk("ApiKeys.create", values, server.adminKey)); // api_key_created for the user
      await ok(sdk("ApiKeys.updateById", { ...values, "KEY-ID": own.id }, server.adminKey)); // api_key_changed
      await server.settle();
      const session = (await login(user)).replace("_session=", "ONZW4."); // the console's bearer: the user's own rights

      const poll = sdkList("notifications", await sdk("Notifications.getAllNotifications", values, session, 0));
      expect(poll.items).toHaveLength(1);
      expect(poll.totalCount).toBe(2);
      const all = sdkList("notifications", await sdk("Notifications.getAllNotifications", values, session, 1));
      expect(all.items.map((n) => n.notification_type).sort()).toEqual(["api_key_changed", "api_key_created"]);
      expect(await ok(sdk("Notifications.updateNotificationStatus", { ...values, "NOTIFICATION-ID": all.items[0].id }, session))).toEqual({});
      expect(sdkList("notifications", await sdk("Notifications.getAllNotifications", values, session, 0)).totalCount).toBe(1);
    });

    it("passes the CORS preflight of every request it sends, for a console on another origin", async () => {
      const safelisted = new Set(["accept"]);
      for (const { call, requests } of [...recorded.key, ...recorded.session]) {
        for (const req of requests) {
          const headers = Object.keys(req.headers).filter((h) => !safelisted.has(h));
          const res = await fetch(`${server.baseUrl}/api/v3${fill(req.path, { "USER-ID": "someone" })}`, {
            method: "OPTIONS", headers: { origin: CONSOLE, "access-control-request-method": req.method, "access-control-request-headers": headers.join(",") },
          });
          expect(res.status, call).toBe(204);
          expect(res.headers.get("access-control-allow-methods")!.split(", "), call).toContain(req.method);
          expect(res.headers.get("access-control-allow-headers")!.toLowerCase().split(", "), call).toEqual(expect.arrayContaining(headers));
        }
      }
      const list = await sdk("Users.getAll", {}, server.adminKey);
      expect(list.headers.get("access-control-expose-headers")).toBeNull(); // no Origin: no CORS headers
      const cross = await fetch(`${server.baseUrl}/api/v3/users?limit=1`, { headers: { origin: CONSOLE, authorization: `Bearer ${server.adminKey}` } });
      expect(cross.headers.get("access-control-expose-headers")!.split(", ")).toEqual(expect.arrayContaining(["X-Total-Count", "X-Warning", "X-Rate-Limit-Retry"]));
    });
  });
}
