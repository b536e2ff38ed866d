// The protocol matrix: what every protocol must carry the same way. Business rules are tested once per database
// on one protocol in their own suites; here each protocol carries a success, a typed error with its details and
// field violations, and response headers.
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";

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

      it(`carries error details, field violations and response headers over ${protocol}`, async () => {
        const registry = server.client(UserRegistry, protocol, server.adminKey);
        const invalid = await rpcError(registry.create({ user: { ids: { userId: "x" }, primaryEmailAddress: "x@example.com", password: "Secret-Passw0rd" } }));
        expect([invalid.code, invalid.errorName]).toEqual([Code.InvalidArgument, "pkg/errors:validation"]);
        expect(invalid.findDetails(ViolationsSchema)[0]?.violations.map((v) => v.field?.elements.map((e) => e.fieldName).join("."))).toContain("user.ids.user_id");
        const missing = await rpcError(registry.get({ userIds: { userId: "nobody-here" } }));
        expect([missing.code, missing.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:user_not_found"]);

        let total: string | null = null;
        await registry.list({}, { onHeader: (h) => { total = h.get("x-total-count"); } });
        expect(Number(total)).toBeGreaterThanOrEqual(1);
      });
    }
  });
}
