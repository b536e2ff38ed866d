// AuthenticationProviderRegistry: admin-only provider CRUD through real clients on every
// backend, rotating protocols; and the operator's `create-auth-provider` CLI, proven by a server on its data.
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationProviderRegistry, type AuthenticationProvider } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { startServer } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { createAdminUser, createApiKeyForUser } from "../../server/operator.js";
import { openDatabase } from "../../server/store/database.js";
import { runCli as cli } from "../support/cli.js";
import { createEmbeddedUnopened, type UnopenedDatabase } from "../support/databases.js";
import { ADMIN_PASSWORD, PROTOCOLS, databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";
import { createUserKey, registerUser } from "../support/users.js";

const SECRET = "oidc-client-secret-value";
const oidc = (clientId: string, providerUrl = "https://login.example.com/") =>
  ({ provider: { case: "oidc" as const, value: { clientId, clientSecret: SECRET, providerUrl } } });
const secretOf = (p: AuthenticationProvider) => (p.configuration?.provider.case === "oidc" ? p.configuration.provider.value.clientSecret : undefined);

for (const backend of databaseBackends()) {
  describe(`AuthenticationProviderRegistry on ${backend.name}`, () => {
    let server: TestServer;
    let turn = 0;
    /** Each call goes over the next protocol, so every test exercises all three over time. */
    const protocol = (): Protocol => PROTOCOLS[turn++ % PROTOCOLS.length]!;
    const registry = (token?: string) => server.client(AuthenticationProviderRegistry, protocol(), token);
    const admin = () => registry(server.adminKey);
    let seq = 0;
    const uniqueId = (prefix: string) => `${prefix}-${++seq}`;

    beforeAll(async () => { server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", AUTH_PROVIDER_SECRET_KEY: "5e".repeat(32) }); });
    afterAll(async () => { await server?.close(); });

    const createProvider = (providerId = uniqueId("idp"), extra: Partial<{ name: string; allowRegistrations: boolean }> = {}) =>
      admin().create({ authenticationProvider: { ids: { providerId }, name: "Example IdP", configuration: oidc("client-1"), ...extra } });

    it("denies anonymous callers, bad credentials, non-admins and narrow admin keys", async () => {
      const provider = await createProvider();
      await registerUser(server, "plain-user");
      const plainKey = await createUserKey(server, server.adminKey, "plain-user", [Right.USER_ALL]);
      const readOnlyAdmin = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_INFO]);
      const unrelatedAdmin = await createUserKey(server, server.adminKey, "admin-user", [Right.APPLICATION_INFO]);

      for (const token of [undefined, "NNSXS.NOTAKEY.NOTASECRET", plainKey, unrelatedAdmin]) {
        for (const call of [
          () => registry(token).get({ providerIds: provider.ids }),
          () => registry(token).list({}),
          () => registry(token).create({ authenticationProvider: { ids: { providerId: uniqueId("denied") }, configuration: oidc("x") } }),
          () => registry(token).update({ authenticationProvider: { ids: provider.ids, name: "taken over" }, fieldMask: { paths: ["name"] } }),
          () => registry(token).delete(provider.ids!),
        ]) {
          const err = await rpcError(call());
          expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/identityserver:permission_denied"]);
        }
      }
      // An admin key with USER_INFO reads but cannot write.
      expect((await registry(readOnlyAdmin).get({ providerIds: provider.ids })).ids?.providerId).toBe(provider.ids!.providerId);
      const write = await rpcError(registry(readOnlyAdmin).delete(provider.ids!));
      expect(write.code).toBe(Code.PermissionDenied);
      expect((await admin().get({ providerIds: provider.ids, fieldMask: { paths: ["name"] } })).name).toBe("Example IdP");
    });

    it("validates the request before checking the caller", async () => {
      const badId = await rpcError(registry().create({ authenticationProvider: { ids: { providerId: "No" }, configuration: oidc("x") } }));
      expect([badId.code, badId.errorName]).toEqual([Code.InvalidArgument, "pkg/errors:validation"]);
      const badUrl = await rpcError(admin().create({ authenticationProvider: { ids: { providerId: uniqueId("url") }, configuration: oidc("x", "not a url") } }));
      expect(badUrl.code).toBe(Code.InvalidArgument);
      const longName = await rpcError(admin().create({ authenticationProvider: { ids: { providerId: uniqueId("name") }, name: "x".repeat(51), configuration: oidc("x") } }));
      expect(longName.code).toBe(Code.InvalidArgument);
      const badMask = await rpcError(registry().get({ providerIds: { providerId: "some-idp" }, fieldMask: { paths: ["secret"] } }));
      expect([badMask.code, badMask.errorName]).toEqual([Code.InvalidArgument, "pkg/rpcmiddleware/validator:field_mask_paths"]);
    });

    it("creates a provider with server-set timestamps and never returns the client secret", async () => {
      const providerId = uniqueId("create");
      const created = await admin().create({
        authenticationProvider: { ids: { providerId }, name: "Corp SSO", allowRegistrations: true, configuration: oidc("corp-client"), createdAt: { seconds: 1n } },
      });
      expect(created.name).toBe("Corp SSO");
      expect(created.allowRegistrations).toBe(true);
      expect(created.createdAt!.seconds).toBeGreaterThan(1_600_000_000n);
      expect(created.configuration?.provider.value).toMatchObject({ clientId: "corp-client", clientSecret: "", providerUrl: "https://login.example.com/" });

      const all = ["name", "allow_registrations", "configuration", "configuration.oidc.client_secret"];
      const got = await admin().get({ providerIds: { providerId }, fieldMask: { paths: all } });
      expect(got.configuration?.provider.value?.clientId).toBe("corp-client");
      expect(secretOf(got)).toBe("");
      const { providers } = await admin().list({ fieldMask: { paths: all } });
      expect(providers.map(secretOf).filter((s) => s !== undefined && s !== "")).toEqual([]);

      const dup = await rpcError(createProvider(providerId));
      expect([dup.code, dup.errorName]).toEqual([Code.AlreadyExists, "pkg/util/store:already_exists"]);
    });

    it("returns only ids and timestamps unless the mask selects more", async () => {
      const provider = await createProvider();
      const bare = await admin().get({ providerIds: provider.ids });
      expect([bare.name, bare.configuration, bare.createdAt !== undefined]).toEqual(["", undefined, true]);
      const some = await admin().get({ providerIds: provider.ids, fieldMask: { paths: ["configuration.oidc.provider_url"] } });
      expect(some.configuration?.provider.value).toMatchObject({ clientId: "", providerUrl: "https://login.example.com/" });
      const missing = await rpcError(admin().get({ providerIds: { providerId: "no-such-idp" } }));
      expect([missing.code, missing.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:authentication_provider_not_found"]);
    });

    it("lists with order, pagination and x-total-count", async () => {
      for (const name of ["zz last", "aa first"]) await createProvider(uniqueId("list"), { name });
      let total = "";
      const onHeader = (h: Headers) => { total = h.get("x-total-count") ?? ""; };
      const { providers: all } = await admin().list({ order: "name", fieldMask: { paths: ["name"] } }, { onHeader });
      expect(Number(total)).toBe(all.length);
      const names = all.map((p) => p.name);
      expect(names).toEqual([...names].sort());
      const { providers: second } = await admin().list({ order: "name", limit: 1, page: 2, fieldMask: { paths: ["name"] } }, { onHeader });
      expect(second.map((p) => p.name)).toEqual([names[1]]);
      expect(Number(total)).toBe(all.length);
    });

    it("updates only the fields in the mask, merging single OIDC fields", async () => {
      const provider = await createProvider();
      const updated = await admin().update({
        authenticationProvider: { ids: provider.ids, name: "Renamed", allowRegistrations: true, configuration: oidc("ignored", "https://new.example.com/") },
        fieldMask: { paths: ["name", "configuration.oidc.provider_url"] },
      });
      expect(updated.name).toBe("Renamed");
      expect(secretOf(updated)).toBe("");
      const got = await admin().get({ providerIds: provider.ids, fieldMask: { paths: ["name", "allow_registrations", "configuration"] } });
      expect([got.name, got.allowRegistrations]).toEqual(["Renamed", false]);
      expect(got.configuration?.provider.value).toMatchObject({ clientId: "client-1", clientSecret: "", providerUrl: "https://new.example.com/" });
      expect(got.updatedAt!.seconds * 1000n + BigInt(got.updatedAt!.nanos / 1e6)).toBeGreaterThanOrEqual(
        provider.updatedAt!.seconds * 1000n + BigInt(provider.updatedAt!.nanos / 1e6));

      const badMask = await rpcError(admin().update({ authenticationProvider: { ids: provider.ids }, fieldMask: { paths: ["nope"] } }));
      expect(badMask.errorName).toBe("pkg/rpcmiddleware/validator:field_mask_paths");
      const missing = await rpcError(admin().update({ authenticationProvider: { ids: { providerId: "no-such-idp" }, name: "x" }, fieldMask: { paths: ["name"] } }));
      expect(missing.errorName).toBe("pkg/identityserver/store:authentication_provider_not_found");
    });

    it("deletes a provider together with its external-user links", async () => {
      const provider = await createProvider();
      await registerUser(server, "linked-by-idp");
      const links = server.client(ExternalUserRegistry, protocol(), server.adminKey);
      await links.create({ externalUser: { userIds: { userId: "linked-by-idp" }, providerIds: provider.ids, externalId: "sub-1" } });
      await admin().delete(provider.ids!);
      const again = await rpcError(admin().delete(provider.ids!));
      expect(again.errorName).toBe("pkg/identityserver/store:authentication_provider_not_found");
      await createProvider(provider.ids!.providerId); // same ID again: the old links did not survive
      const gone = await rpcError(links.getByExternalID({ providerIds: provider.ids, externalId: "sub-1" }));
      expect([gone.code, gone.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:external_user_not_found"]);
    });

    it("answers an Update racing a Delete with not found, never an internal error", async () => {
      for (let round = 0; round < 10; round++) {
        const provider = await createProvider();
        const [updated, deleted] = await Promise.allSettled([
          admin().update({ authenticationProvider: { ids: provider.ids, name: `renamed ${round}` }, fieldMask: { paths: ["name"] } }),
          admin().delete(provider.ids!),
        ]);
        expect(deleted.status).toBe("fulfilled");
        if (updated.status === "rejected") {
          const err = await rpcError(Promise.reject(updated.reason));
          expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:authentication_provider_not_found"]);
        }
      }
    });
  });
}

describe("create-auth-provider CLI on embedded", { timeout: 180_000 }, () => {
  let database: UnopenedDatabase;
  beforeAll(async () => { database = await createEmbeddedUnopened(); });
  afterAll(async () => { await database?.dispose(); });

  it("creates a provider the server then serves, refuses bad input and never echoes the secret", async () => {
    const { dataDir } = database;
    const env = { DATA_DIR: dataDir, AUTH_PROVIDER_SECRET_KEY: "5e".repeat(32) }; // client secrets are sealed
    const oidcArgs = ["--oidc-client-id", "cli-client", "--oidc-client-secret", SECRET, "--oidc-provider-url", "https://sso.example.com/"];
    const ok = await cli(env, "create-auth-provider", "--provider-id", "corp-sso", "--name", "Corp", "--allow-registrations", ...oidcArgs);
    expect([ok.code, ok.stdout.trim()]).toEqual([0, "created authentication provider corp-sso (OIDC, https://sso.example.com/)"]);
    expect(ok.stdout + ok.stderr).not.toContain(SECRET);

    const bad: [string[], RegExp][] = [
      [["--provider-id", "X!", "--name", "n"], /--provider-id/],
      [["--provider-id", "long-name", "--name", "n".repeat(51)], /--name/],
      [["--provider-id", "half-oidc", "--name", "n", "--oidc-client-id", "c"], /all three or none/],
      [["--provider-id", "bad-url", "--name", "n", ...oidcArgs.slice(0, 4), "--oidc-provider-url", "ftp//nope"], /--oidc-provider-url/],
      [["--provider-id", "corp-sso", "--name", "again"], /already exists/],
    ];
    for (const [args, message] of bad) {
      const run = await cli(env, "create-auth-provider", ...args);
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
    }

    // Bootstrap an admin the way the operator CLI does (in-process, to keep the test fast), then serve the data.
    const config = loadConfig({ ...env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" });
    const db = await openDatabase({ dataDir });
    await createAdminUser(db.prisma, config, { userId: "ops-admin", email: "ops@example.com", password: ADMIN_PASSWORD });
    const key = await createApiKeyForUser(db.prisma, { userId: "ops-admin", rights: [Right.ALL], name: "", expiresAt: null });
    await db.close();

    const server = await startServer(config, createLogger("silent"), { mailTransport: async () => {} });
    try {
      const bearer: Interceptor = (next) => (req) => { req.header.set("authorization", `Bearer ${key}`); return next(req); };
      const transport = createConnectTransport({ baseUrl: `http://127.0.0.1:${server.listener.port}`, httpVersion: "1.1", interceptors: [bearer] });
      const { providers } = await createClient(AuthenticationProviderRegistry, transport).list({ fieldMask: { paths: ["name", "allow_registrations", "configuration"] } });
      expect(providers).toHaveLength(1); // nothing from the failed runs
      const [p] = providers;
      expect([p!.ids?.providerId, p!.name, p!.allowRegistrations]).toEqual(["corp-sso", "Corp", true]);
      expect(p!.configuration?.provider.value).toMatchObject({ clientId: "cli-client", clientSecret: "", providerUrl: "https://sso.example.com/" });
    } finally {
      await server.close();
    }
  });
});
