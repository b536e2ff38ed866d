// OIDC client secrets at rest: sealed with AES-256-GCM under AUTH_PROVIDER_SECRET_KEY, refused without a key,
// never returned, kept across updates that do not name them, and plaintext rows from before sealed at start-up.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { isServiceError } from "../../server/domain/errors.js";
import { ProviderSecrets } from "../../server/sso/provider-secrets.js";
import { runCli } from "../support/cli.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";

const KEY = randomBytes(32);
const SECRET = "the-client-secret-of-corp";
const oidc = (clientSecret: string) => ({ provider: { case: "oidc" as const, value: { clientId: "client", clientSecret, providerUrl: "https://login.example.com/" } } });

function thrownName(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    return isServiceError(err) ? err.fullName : String(err);
  }
  return "nothing thrown";
}

describe("ProviderSecrets", () => {
  const secrets = new ProviderSecrets(KEY);

  it("seals with a fresh IV each time and opens only for the same provider and key", () => {
    const a = secrets.seal("corp", SECRET);
    const b = secrets.seal("corp", SECRET);
    expect(a).toMatch(/^sealed:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(SECRET);
    expect([secrets.open("corp", a), secrets.open("corp", b)]).toEqual([SECRET, SECRET]);
    // Copied onto another provider's row, or opened with another key, or damaged: unreadable, never garbage.
    expect(thrownName(() => secrets.open("other", a))).toBe("pkg/identityserver:provider_secret_unreadable");
    expect(thrownName(() => new ProviderSecrets(randomBytes(32)).open("corp", a))).toBe("pkg/identityserver:provider_secret_unreadable");
    expect(thrownName(() => new ProviderSecrets(undefined).open("corp", a))).toBe("pkg/identityserver:provider_secret_unreadable");
    expect(thrownName(() => secrets.open("corp", `${a.slice(0, -4)}AAAA`))).toBe("pkg/identityserver:provider_secret_unreadable");
  });

  it("needs no key for an empty secret (a public client) and refuses any other without one", () => {
    const keyless = new ProviderSecrets(undefined);
    expect(keyless.seal("corp", "")).toBe("");
    expect(thrownName(() => keyless.seal("corp", SECRET))).toBe("pkg/identityserver:provider_secret_key_missing");
    expect(keyless.open("corp", "plain-from-before")).toBe("plain-from-before");
  });
});

for (const backend of databaseBackends()) {
  describe(`sealed client secrets on ${backend.name}`, () => {
    let keyed: TestServer;
    let keyless: TestServer;
    beforeAll(async () => {
      keyed = await startTestServer(backend, { AUTH_PROVIDER_SECRET_KEY: KEY.toString("hex") });
      keyless = await startTestServer(backend);
    });
    afterAll(async () => {
      await keyed?.close();
      await keyless?.close();
    });

    const registry = (server: TestServer) => server.client(AuthenticationProviderRegistry, "connect", server.adminKey);
    const stored = async (server: TestServer, providerId: string) => {
      const row = await server.db.authenticationProvider.findUniqueOrThrow({ where: { providerId } });
      return { secret: (row.configuration as { oidc?: { clientSecret: string } }).oidc?.clientSecret ?? "", updatedAt: row.updatedAt };
    };
    const open = (providerId: string, value: string) => new ProviderSecrets(KEY).open(providerId, value);

    it("stores a sealed secret, never returns it, and keeps it when an update does not name it", async () => {
      const created = await registry(keyed).create({ authenticationProvider: { ids: { providerId: "corp" }, name: "Corp", configuration: oidc(SECRET) } });
      expect(created.configuration?.provider.value?.clientSecret).toBe("");
      const first = await stored(keyed, "corp");
      expect(first.secret.startsWith("sealed:v1:")).toBe(true);
      expect(open("corp", first.secret)).toBe(SECRET);
      const got = await registry(keyed).get({ providerIds: { providerId: "corp" }, fieldMask: { paths: ["configuration"] } });
      const listed = await registry(keyed).list({ fieldMask: { paths: ["configuration"] } });
      expect([got.configuration?.provider.value?.clientSecret, listed.providers[0]?.configuration?.provider.value?.clientSecret]).toEqual(["", ""]);

      // A Get written back (secret blank) under the whole configuration keeps the secret …
      await registry(keyed).update({
        authenticationProvider: { ids: { providerId: "corp" }, configuration: { provider: { case: "oidc", value: { clientId: "client-2", clientSecret: "", providerUrl: "https://login.example.com/" } } } },
        fieldMask: { paths: ["configuration"] },
      });
      expect(open("corp", (await stored(keyed, "corp")).secret)).toBe(SECRET);
      // … a new one replaces it, sealed …
      await registry(keyed).update({ authenticationProvider: { ids: { providerId: "corp" }, configuration: oidc("rotated") }, fieldMask: { paths: ["configuration.oidc.client_secret"] } });
      expect(open("corp", (await stored(keyed, "corp")).secret)).toBe("rotated");
      // … and naming the secret's own path with a blank clears it (a public client).
      await registry(keyed).update({ authenticationProvider: { ids: { providerId: "corp" }, configuration: oidc("") }, fieldMask: { paths: ["configuration.oidc.client_secret"] } });
      expect((await stored(keyed, "corp")).secret).toBe("");
    });

    it("refuses to store a secret without a key, but takes a public client", async () => {
      const err = await rpcError(registry(keyless).create({ authenticationProvider: { ids: { providerId: "corp" }, configuration: oidc(SECRET) } }));
      expect([err.code, err.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver:provider_secret_key_missing"]);
      expect(err.rawMessage).toContain("AUTH_PROVIDER_SECRET_KEY");
      await registry(keyless).create({ authenticationProvider: { ids: { providerId: "public" }, configuration: oidc("") } });
      expect((await stored(keyless, "public")).secret).toBe("");
    });

    it("seals plaintext secrets from before at start-up once a key is set, without touching updated_at", async () => {
      for (const server of [keyless, keyed]) {
        await server.db.authenticationProvider.create({
          data: { providerId: "legacy", name: "Legacy", configuration: { oidc: { clientId: "c", clientSecret: "plain-secret", providerUrl: "https://old.example.com/" } } },
        });
      }
      const before = await stored(keyed, "legacy");
      await keyless.restart();
      expect((await stored(keyless, "legacy")).secret).toBe("plain-secret"); // no key: left for later, with a warning
      await keyed.restart();
      const after = await stored(keyed, "legacy");
      expect(after.secret.startsWith("sealed:v1:")).toBe(true);
      expect(open("legacy", after.secret)).toBe("plain-secret");
      expect(after.updatedAt).toEqual(before.updatedAt);
    });
  });
}

describe("create-auth-provider CLI without a key", { timeout: 120_000 }, () => {
  let dataDir = "";
  beforeAll(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-cli-sealed-")); });
  afterAll(() => { rmSync(dataDir, { recursive: true, force: true }); });

  it("refuses a client secret with a clear message and exit code 1", async () => {
    const run = await runCli({ DATA_DIR: dataDir }, "create-auth-provider", "--provider-id", "corp", "--name", "Corp",
      "--oidc-client-id", "c", "--oidc-client-secret", SECRET, "--oidc-provider-url", "https://login.example.com/");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("provider_secret_key_missing");
    expect(run.stderr).toContain("AUTH_PROVIDER_SECRET_KEY");
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });
});
