// The SDK against a real server, on every protocol: typed errors (code, name, attributes, violations), list
// totals from x-total-count, API-key authentication, and the account endpoints' errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createAccountClient, createIdentityClient, IdentityError, isIdentityError, listPage, pageCount, Right, State, type NodeProtocol } from "../../client/node.js";
import { createIdentityClient as createBrowserClient } from "../../client/index.js";
import { ADMIN_PASSWORD, databaseBackends, startTestServer, type TestServer } from "../support/server.js";

const PROTOCOLS: NodeProtocol[] = ["connect", "grpc-web", "grpc"];

async function failure(call: Promise<unknown>): Promise<IdentityError> {
  try {
    await call;
  } catch (err) {
    expect(isIdentityError(err), String(err)).toBe(true);
    return err as IdentityError;
  }
  throw new Error("expected the call to fail");
}

describe("SDK", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(databaseBackends()[0]!);
    const admin = createIdentityClient({ baseUrl: server.baseUrl, apiKey: server.adminKey });
    for (let i = 0; i < 4; i++) {
      await admin.users.create({ user: { ids: { userId: `sdk-user-${i}` }, primaryEmailAddress: `sdk-user-${i}@example.com`, password: "Sdk-Passw0rd", state: State.APPROVED } });
    }
  });
  afterAll(async () => { await server?.close(); });

  for (const protocol of PROTOCOLS) {
    describe(`over ${protocol}`, () => {
      const client = () => createIdentityClient({ baseUrl: server.baseUrl, protocol, apiKey: server.adminKey });

      it("authenticates with an API key", async () => {
        const info = await client().entityAccess.authInfo({});
        expect(info.accessMethod.case).toBe("apiKey");
        expect(info.isAdmin).toBe(true);
      });

      it("maps a not-found error to its code, name and attributes", async () => {
        const err = await failure(client().users.get({ userIds: { userId: "no-such-user" }, fieldMask: { paths: ["name"] } }));
        expect(err).toBeInstanceOf(Error);
        expect(err.code).toBe(Code.NotFound);
        expect(err.codeName).toBe("not_found");
        expect(err.name).toBe("pkg/identityserver/store:user_not_found");
        expect(err.attributes).toMatchObject({ user_id: "no-such-user" });
        expect(err.correlationId).not.toBe("");
        expect(err.is("pkg/identityserver/store:user_not_found")).toBe(true);
      });

      it("maps a rejected request's field violations", async () => {
        const err = await failure(client().users.update({
          user: { ids: { userId: "sdk-user-0" }, primaryEmailAddress: "not-an-email" },
          fieldMask: { paths: ["primary_email_address"] },
        }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.violations).toContainEqual(expect.objectContaining({ field: "user.primary_email_address", rule: expect.any(String), message: expect.any(String) }));
        expect(Object.keys(err.fieldErrors())).toContain("user.primary_email_address");
      });

      it("maps an unauthenticated call", async () => {
        const anonymous = createIdentityClient({ baseUrl: server.baseUrl, protocol });
        const err = await failure(anonymous.users.list({ limit: 1 }));
        expect(err.code).toBe(Code.PermissionDenied);
        expect(err.name).toBe("pkg/identityserver:permission_denied");
      });

      it("returns a page of a list with the x-total-count total", async () => {
        const all = await listPage((o) => client().users.list({ limit: 100, order: "user_id" }, o), (r) => r.users);
        expect(all.total).toBe(all.items.length);
        expect(all.total).toBeGreaterThanOrEqual(5); // admin-user and the four sdk users
        const second = await listPage((o) => client().users.list({ limit: 2, page: 2, order: "user_id" }, o), (r) => r.users);
        expect(second.total).toBe(all.total);
        expect(second.items.map((u) => u.ids?.userId)).toEqual(all.items.slice(2, 4).map((u) => u.ids?.userId));
        expect(pageCount(second.total, 2)).toBe(Math.ceil(all.total! / 2));
      });
    });
  }

  it("offers the browser transports (fetch-based) too, with the same errors", async () => {
    for (const protocol of ["connect", "grpc-web"] as const) {
      const client = createBrowserClient({ baseUrl: server.baseUrl, protocol, apiKey: server.adminKey });
      const key = await client.access.createAPIKey({ userIds: { userId: "admin-user" }, name: `browser ${protocol}`, rights: [Right.USER_INFO] });
      expect(key.key).toMatch(/^NNSXS\./);
      const keys = await listPage((o) => client.access.listAPIKeys({ userIds: { userId: "admin-user" }, limit: 1 }, o), (r) => r.apiKeys);
      expect(keys.items).toHaveLength(1);
      expect(keys.total).toBeGreaterThanOrEqual(2);
      const err = await failure(client.access.getAPIKey({ userIds: { userId: "admin-user" }, keyId: "NOSUCHKEY" }));
      expect(err.code).toBe(Code.NotFound);
    }
  });

  it("maps account endpoint errors and reports no session as undefined", async () => {
    const account = createAccountClient({ baseUrl: server.baseUrl });
    const err = await failure(account.login("admin-user", "wrong-Passw0rd"));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.name).toBe("pkg/account/session:no_user_id_password_match");
    expect(await account.me()).toBeUndefined();
    await account.login("admin-user", ADMIN_PASSWORD); // Node's fetch keeps no cookies: login works, the session is not reused
    const missing = await failure(account.tokenLogin(""));
    expect(missing.name).toBe("pkg/account:missing_token");
  });
});
