// Another project using the SDK by package name, as it would after `npm install <this package>`: plain Node
// (no tsx) through the "node" export condition, TypeScript through the package's types, and a bundler (Vite)
// through the "browser" condition, which must not pull in Node's HTTP stack.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const packageName = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")).name as string;

const SCRIPT = `
import { createIdentityClient, isIdentityError, listPage } from "${packageName}/client";

const [baseUrl, apiKey, protocol, userId] = process.argv.slice(2);
const client = createIdentityClient({ baseUrl, apiKey, protocol });
const info = await client.entityAccess.authInfo({});
await client.users.create({ user: { ids: { userId }, primaryEmailAddress: userId + "@example.com", password: "Other-Passw0rd" } });
const page = await listPage((o) => client.users.list({ limit: 1 }, o), (r) => r.users);
let error;
try {
  await client.users.create({ user: { ids: { userId }, primaryEmailAddress: userId + "@example.com", password: "Other-Passw0rd" } });
} catch (err) {
  error = { identity: isIdentityError(err), code: err.code, name: err.name };
}
console.log(JSON.stringify({ access: info.accessMethod.case, admin: info.isAdmin, total: page.total, shown: page.items.length, error }));
`;

const TYPED = `
import { createIdentityClient, IdentityError, Right, type IdentityClient } from "${packageName}/client";
const client: IdentityClient = createIdentityClient({ baseUrl: "http://localhost:1885", apiKey: "NNSXS.X.Y" });
export async function keys(): Promise<number> {
  const res = await client.access.listAPIKeys({ userIds: { userId: "me" }, limit: 5 });
  return res.apiKeys.filter((k) => k.rights.includes(Right.USER_INFO)).length;
}
export const codeOf = (e: unknown): number | undefined => (e instanceof IdentityError ? e.code : undefined);
`;

describe(`importing "${packageName}/client" from another project`, () => {
  let server: TestServer;
  let project: string;

  beforeAll(async () => {
    server = await startTestServer(databaseBackends()[0]!);
    project = mkdtempSync(path.join(os.tmpdir(), "ttnid-sdk-consumer-"));
    // What `npm install file:<repo>` makes: a link to the package in node_modules.
    mkdirSync(path.join(project, "node_modules"));
    symlinkSync(repo, path.join(project, "node_modules", packageName), "dir");
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "sdk-consumer", private: true, type: "module", dependencies: { [packageName]: `file:${repo}` } }));
    writeFileSync(path.join(project, "main.mjs"), SCRIPT);
  });
  afterAll(async () => {
    await server?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  for (const protocol of ["connect", "grpc-web", "grpc"]) {
    it(`calls the server from plain Node over ${protocol}`, async () => {
      const userId = `consumer-${protocol}`;
      const { stdout } = await run(process.execPath, ["main.mjs", server.baseUrl, server.adminKey, protocol, userId], { cwd: project });
      const out = JSON.parse(stdout);
      expect(out).toMatchObject({ access: "apiKey", admin: true, shown: 1 });
      expect(out.total).toBeGreaterThanOrEqual(2);
      expect(out.error).toEqual({ identity: true, code: 6, name: "pkg/util/store:already_exists" });
    });
  }

  for (const moduleResolution of ["NodeNext", "Bundler"]) {
    it(`type-checks in a TypeScript project with moduleResolution ${moduleResolution}`, async () => {
      const dir = path.join(project, `ts-${moduleResolution}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, "main.ts"), TYPED);
      writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
        compilerOptions: {
          target: "ES2022", module: moduleResolution === "NodeNext" ? "NodeNext" : "ESNext", moduleResolution, strict: true, noEmit: true, lib: ["ES2023", "DOM"], skipLibCheck: false,
          // A Node project has @types/node (the Node entry point's types mention node:http2); a browser one does not.
          ...(moduleResolution === "NodeNext" ? { types: ["node"], typeRoots: [path.join(repo, "node_modules/@types")] } : { types: [] }),
        },
        files: ["main.ts"],
      }));
      const tsc = path.join(repo, "node_modules/typescript/bin/tsc");
      const result = await run(process.execPath, [tsc, "-p", dir], { cwd: project }).catch((err: { stdout: string }) => ({ stdout: err.stdout, failed: true }));
      expect(result.stdout).toBe("");
    }, 60_000);
  }

  it("bundles for the browser without Node's HTTP stack", async () => {
    const dir = path.join(project, "web");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "index.html"), `<script type="module" src="./main.js"></script>`);
    writeFileSync(path.join(dir, "main.js"), `import { createIdentityClient } from "${packageName}/client";\nexport const client = createIdentityClient({ baseUrl: location.origin, protocol: "grpc-web", credentials: "include" });\nconsole.log(client.users);\n`);
    const { build } = await import("vite");
    await build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: path.join(dir, "dist"), minify: false } });
    const assets = path.join(dir, "dist", "assets");
    const bundle = readdirSync(assets).filter((f) => f.endsWith(".js")).map((f) => readFileSync(path.join(assets, f), "utf8")).join("\n");
    expect(bundle).toContain("ttn.lorawan.v3.UserRegistry");
    expect(bundle).toContain("application/grpc-web");
    expect(bundle).not.toMatch(/node:http2|from "http2"|connect-node/);
  }, 60_000);
});
