// The SDK as another project gets it: `npm pack` of client/, installed from the tarball into a fresh ESM project
// outside this repository, then used from Node over gRPC and Connect against a running server, type-checked
// against its declarations, and bundled for the browser under a size budget.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, maxBuffer: 16 << 20 });

// A browser app that creates a client and makes one call, minified: measured at 220 KiB raw and 54 KiB gzip
// (the generated descriptors of the contract and of buf.validate, protobuf-es and Connect). The budget leaves
// room to grow, not room for a server dependency or a second copy of protobuf-es.
const BROWSER_BUDGET = { raw: 256 * 1024, gzip: 64 * 1024 };

const NODE_APP = `
import { createIdentityClient, isIdentityError, listPage } from "@ttn-identity/client";

const out = {};
for (const protocol of ["grpc", "connect"]) {
  const id = createIdentityClient({ baseUrl: process.env.BASE_URL, protocol, apiKey: process.env.KEY });
  const info = await id.entityAccess.authInfo({});
  const { total } = await listPage((o) => id.users.list({ limit: 1 }, o), (r) => r.users);
  let error;
  try {
    await id.users.get({ userIds: { userId: "nobody" } });
  } catch (err) {
    error = isIdentityError(err) ? err.name : String(err);
  }
  out[protocol] = { admin: info.isAdmin, total, error };
}
console.log(JSON.stringify(out));
`;

const TYPED_APP = `
import { createIdentityClient, Right, type IdentityClient } from "@ttn-identity/client";

const id: IdentityClient = createIdentityClient({ baseUrl: "http://localhost:1885", protocol: "grpc" });
const key = await id.access.createAPIKey({ userIds: { userId: "ops" }, name: "ci", rights: [Right.USER_INFO] });
const secret: string = key.key;
// @ts-expect-error: the SDK's types know the request fields
await id.users.get({ userIds: { userId: "ops" }, noSuchField: 1 });
export { secret };
`;

const BROWSER_APP = `
import { createIdentityClient } from "@ttn-identity/client";

const id = createIdentityClient({ baseUrl: location.origin, credentials: "include" });
id.entityAccess.authInfo({}).then((info) => { document.body.textContent = info.isAdmin ? "admin" : "user"; });
`;

describe("the SDK package", () => {
  let server: TestServer;
  let project: string;

  beforeAll(async () => {
    project = mkdtempSync(path.join(os.tmpdir(), "ttnid-sdk-app-"));
    const packed = await npm(["pack", "--json", "--workspace", "client", "--pack-destination", project], root);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "sdk-app", private: true, type: "module" }));
    await npm(["install", path.join(project, filename)], project);
    server = await startTestServer(databaseBackends()[0]!);
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    rmSync(project, { recursive: true, force: true });
  });

  it("installs Connect and protobuf-es, and nothing of the server", () => {
    const scoped = (scope: string) => readdirSync(path.join(project, "node_modules", scope)).map((p) => `${scope}/${p}`);
    const installed = readdirSync(path.join(project, "node_modules")).filter((p) => !p.startsWith("."))
      .flatMap((p) => (p.startsWith("@") ? scoped(p) : [p])).sort();
    expect(installed).toEqual([
      "@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node", "@connectrpc/connect-web", "@ttn-identity/client",
    ]);
    const manifest = JSON.parse(readFileSync(path.join(project, "node_modules/@ttn-identity/client/package.json"), "utf8"));
    expect(manifest.scripts?.postinstall).toBeUndefined();
  });

  it("calls a running server from Node over gRPC and Connect", { timeout: 60_000 }, async () => {
    writeFileSync(path.join(project, "app.mjs"), NODE_APP);
    const { stdout } = await run(process.execPath, ["app.mjs"], { cwd: project, env: { ...process.env, BASE_URL: server.baseUrl, KEY: server.adminKey } });
    const expected = { admin: true, total: 1, error: "pkg/identityserver/store:user_not_found" };
    expect(JSON.parse(stdout)).toEqual({ grpc: expected, connect: expected });
  });

  it("type-checks an app against its declarations", { timeout: 60_000 }, async () => {
    writeFileSync(path.join(project, "app.ts"), TYPED_APP);
    writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ["app.ts"],
    }));
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    await expect(run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project })).resolves.toBeDefined();
  });

  it(`bundles for the browser within ${BROWSER_BUDGET.raw / 1024} KiB (${BROWSER_BUDGET.gzip / 1024} KiB gzip)`, async () => {
    writeFileSync(path.join(project, "browser.mjs"), BROWSER_APP);
    const result = await build({
      absWorkingDir: project, entryPoints: ["browser.mjs"], bundle: true, minify: true, platform: "browser", format: "esm",
      target: "es2022", write: false, metafile: true, logLevel: "silent",
    });
    const code = result.outputFiles[0]!.contents;
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => /connect-node|node:|http2/.test(p))).toEqual([]);
    expect(inputs.filter((p) => p.includes("@bufbuild/protobuf/dist/esm/index.js"))).toHaveLength(1);
    const size = { raw: code.byteLength, gzip: gzipSync(code).byteLength };
    expect(size.raw, JSON.stringify(size)).toBeLessThanOrEqual(BROWSER_BUDGET.raw);
    expect(size.gzip, JSON.stringify(size)).toBeLessThanOrEqual(BROWSER_BUDGET.gzip);
  });
});
