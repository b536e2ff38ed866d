import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { PROTOCOLS, databaseBackends, startTestServer, type TestServer } from "../support/server.js";

for (const backend of databaseBackends()) {
  describe(`smoke on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend); });
    afterAll(async () => { await server?.close(); });

    for (const protocol of PROTOCOLS) {
      it(`admin key resolves over ${protocol}`, async () => {
        const info = await server.client(EntityAccess, protocol, server.adminKey).authInfo({});
        expect(info.isAdmin).toBe(true);
        const user = await server.client(UserRegistry, protocol, server.adminKey).get({ userIds: { userId: "admin-user" }, fieldMask: { paths: ["admin"] } });
        expect(user.admin).toBe(true);
      });
    }
  });
}
