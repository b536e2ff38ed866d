// Runs calls of upstream's SDK against a local HTTP server that answers `{}` and records each request it receives.
// The values in the calls are placeholders the test replaces (USER-ID, KEY-ID, …). Run by record.sh.
const http = require("node:http");
const { default: TTS } = require(process.argv[2]);

const KEY_CALLS = [
  ["Auth", "getAuthInfo", []],
  ["Is", "getConfiguration", []],
  ["Users", "create", [{ ids: { user_id: "USER-ID" }, primary_email_address: "USER-ID@example.com", password: "PASSWORD", name: "SDK user" }]],
  ["Users", "getById", ["USER-ID", ["name", "primary_email_address", "state", "console_preferences"]]],
  ["Users", "getById", ["USER-ID", "name,description"]],
  ["Users", "getById", ["USER-ID"]],
  ["Users", "updateById", ["USER-ID", { name: "Renamed", description: "via the SDK" }]],
  ["Users", "updateById", ["USER-ID", { console_preferences: { console_theme: "CONSOLE_THEME_DARK" } }]],
  ["Users", "updateById", ["USER-ID", { state: "STATE_SUSPENDED", state_description: "by the SDK" }, ["state", "state_description"]]],
  ["Users", "getAll", [{ page: 1, limit: 2, order: "-created_at" }, ["name", "state"]]],
  ["Users", "search", [{ page: 1, limit: 10, query: "USER-ID", order: "user_id", deleted: false }, ["name", "state"]]],
  ["Users", "search", [{ state: ["STATE_APPROVED", "STATE_SUSPENDED"], query: "USER-ID" }, ["state"]]],
  ["Users", "getRightsById", ["USER-ID"]],
  ["Users", "updatePasswordById", ["USER-ID", { old: "PASSWORD", new: "NEW-PASSWORD", revoke_all_access: true }]],
  ["Users", "createTemporaryPassword", ["USER-ID"]],
  ["Users", "sendInvite", [{ email: "INVITEE@example.com" }]],
  ["Users", "getAllInvitations", [{ page: 1, limit: 10 }, ["email", "expires_at"]]],
  ["Users", "create", [{ ids: { user_id: "INVITED-ID" }, primary_email_address: "INVITEE@example.com", password: "PASSWORD" }, "INVITATION-TOKEN"]],
  ["Users", "deleteInvite", [{ email: "INVITEE@example.com" }]],
  ["Users", "deleteById", ["USER-ID"]],
  ["Users", "restoreById", ["USER-ID"]],
  ["Users", "purgeById", ["USER-ID"]],
  ["ApiKeys", "create", ["USER-ID", { name: "sdk", rights: ["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_BASIC"], expires_at: "2099-01-01T00:00:00Z" }]],
  ["ApiKeys", "getAll", ["USER-ID", { page: 1, limit: 10 }]],
  ["ApiKeys", "getById", ["USER-ID", "KEY-ID"]],
  ["ApiKeys", "updateById", ["USER-ID", "KEY-ID", { name: "renamed", rights: ["RIGHT_USER_INFO"] }]],
  ["ApiKeys", "deleteById", ["USER-ID", "KEY-ID"]],
  ["Sessions", "getAllSessions", ["USER-ID", { page: 1, limit: 10, order: "-created_at" }]],
  ["Sessions", "getAllSessions", ["USER-ID", { page: undefined, limit: undefined, order: undefined }]],
  ["Sessions", "deleteSession", ["USER-ID", "SESSION-ID"]],
  ["Notifications", "getAllNotifications", ["USER-ID", ["NOTIFICATION_STATUS_UNSEEN"], 1, 1]],
  ["Notifications", "getAllNotifications", ["USER-ID", undefined, 1, 10]],
  ["Notifications", "updateNotificationStatus", ["USER-ID", ["NOTIFICATION-ID"], "NOTIFICATION_STATUS_ARCHIVED"]],
  ["api.UserAccess", "CreateLoginToken", [{ routeParams: { "user_ids.user_id": "USER-ID" } }]],
];
// What a same-origin page of upstream's account app does with its cookie session.
const SESSION_CALLS = [
  ["Auth", "getAuthInfo", []],
  ["Users", "getById", ["USER-ID", ["name", "state"]]],
  ["Users", "updateById", ["USER-ID", { name: "From the browser" }]],
  ["ApiKeys", "create", ["USER-ID", { name: "browser", rights: ["RIGHT_USER_INFO"] }]],
  ["Notifications", "getAllNotifications", ["USER-ID", ["NOTIFICATION_STATUS_UNSEEN"], 1, 10]],
];
const HEADERS = ["accept", "content-type", "authorization", "x-csrf-token"];

const seen = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const headers = Object.fromEntries(HEADERS.filter((k) => k in req.headers).map((k) => [k, req.headers[k]]));
    seen.push({ method: req.method, path: req.url.replace(/^\/api\/v3/, ""), headers, ...(body ? { body } : {}) });
    res.setHeader("content-type", "application/json");
    res.end("{}");
  });
});

async function record(authorization, calls) {
  const tts = new TTS({ authorization, stackConfig: { is: `http://127.0.0.1:${server.address().port}/api/v3` }, connectionType: "http" });
  const out = [];
  for (const [service, method, args] of calls) {
    const target = service === "ApiKeys" ? tts.Users.ApiKeys : service.startsWith("api.") ? tts.api[service.slice(4)] : tts[service];
    seen.length = 0;
    await target[method](...args);
    out.push({ call: `${service}.${method}`, requests: seen.splice(0) });
  }
  return out;
}

server.listen(0, "127.0.0.1", async () => {
  // The SDK keeps its key in a process-wide singleton: record the session mode first, in its own instance.
  const session = await record({ mode: "session", csrfToken: "CSRF-TOKEN" }, SESSION_CALLS);
  const key = await record({ mode: "key", key: "API-KEY" }, KEY_CALLS);
  server.close();
  const lines = (calls) => calls.map((c) => `  ${JSON.stringify(c)}`).join(",\n");
  const sdk = JSON.stringify(`ttn-lw from lorawan-stack ${process.argv[3]} sdk/js`);
  process.stdout.write(`{\n "sdk": ${sdk},\n "key": [\n${lines(key)}\n ],\n "session": [\n${lines(session)}\n ]\n}\n`);
});
