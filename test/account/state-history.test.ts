// A user's state history for admins (`GET /oauth/api/admin/state-history?user_id=…`), written by UserRegistry
// Create and Update, over real HTTP on every database backend.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ADMIN_PASSWORD, databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { USER_PASSWORD } from "../support/users.js";
import { createUser, errorName, loggedIn, request, uniqueId } from "./support.js";

for (const backend of databaseBackends()) {
  describe(`user state history on ${backend.name}`, () => {
    let server: TestServer;
    let adminCookie: string;
    beforeAll(async () => {
      server = await startTestServer(backend);
      adminCookie = await loggedIn(server, "admin-user", ADMIN_PASSWORD);
    });
    afterAll(async () => { await server?.close(); });
    const history = (userId: string, cookie = adminCookie) => request(server, "GET", `/oauth/api/admin/state-history?user_id=${userId}`, { headers: { cookie } });

    it("records creation and every state change with who made it, newest first", async () => {
      const userId = await createUser(server, uniqueId("history"), State.REQUESTED);
      const admin = server.client(UserRegistry, "connect", server.adminKey);
      await admin.update({ user: { ids: { userId }, state: State.APPROVED }, fieldMask: { paths: ["state"] } });
      await admin.update({ user: { ids: { userId }, state: State.SUSPENDED, stateDescription: "spam" }, fieldMask: { paths: ["state", "state_description"] } });
      await admin.update({ user: { ids: { userId }, name: "not a state change" }, fieldMask: { paths: ["name"] } });
      const res = await history(userId);
      expect(res.status).toBe(200);
      expect(res.body.changes.map((c: any) => [c.state, c.state_description, c.changed_by])).toEqual([
        ["STATE_SUSPENDED", "spam", "admin-user"],
        ["STATE_APPROVED", "", "admin-user"],
        ["STATE_REQUESTED", "", "admin-user"],
      ]);
    });

    it("records a self-registration without a changer", async () => {
      const userId = uniqueId("self");
      await server.client(UserRegistry, "connect").create({ user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD } });
      expect((await history(userId)).body.changes).toMatchObject([{ state: "STATE_APPROVED", changed_by: "" }]);
    });

    it("is for admins only and names unknown users", async () => {
      const userId = await createUser(server, uniqueId("plain"));
      const own = await loggedIn(server, userId);
      const refused = await history(userId, own);
      expect([refused.status, errorName(refused.body)]).toEqual([403, "pkg/identityserver:permission_denied"]);
      const missing = await history("no-such-user");
      expect([missing.status, errorName(missing.body)]).toEqual([404, "pkg/identityserver/store:user_not_found"]);
    });
  });
}
