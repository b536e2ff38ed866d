// README's examples, run as written against a fresh server on the embedded database, so they cannot rot: the
// shell blocks of "First steps", "Calling it", "HTTP/JSON API", "Using the SDK" and "Single sign-on" (one command
// at a time, each must exit 0 and answer no error unless its comment announces one), the Keycloak registration
// (the buf curl block and the operator CLI line), the request bodies of the
// Services table through `buf curl`, the TypeScript blocks (run, or type-checked where they need a browser), and
// console development through Vite. The only edits are addresses (free ports here, never fixed ones) and the
// placeholder paths of "Using the SDK". "Production" has its own test (test/system/cluster/deployment.test.ts).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify, stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";

const root = path.resolve(import.meta.dirname, "../..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const exec = promisify(execFile);

/** The text of a `## ` section, its `### ` subsections included. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function codeBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang).map((m) => m[2]!);
}

/** Each command of a shell block (continuation lines joined) with the comment above it. */
function commands(block: string): { label: string; command: string }[] {
  const out: { label: string; command: string }[] = [];
  let label = "";
  let pending = "";
  for (const line of block.split("\n")) {
    if (!pending && line.startsWith("#")) {
      label = line;
      continue;
    }
    if (!pending && !line.trim()) continue;
    pending += line.endsWith("\\") ? `${line.slice(0, -1)} ` : line;
    if (!line.endsWith("\\")) {
      out.push({ label, command: pending });
      pending = "";
    }
  }
  return out;
}

describe("README, run as written", { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-readme-"));
  const project = mkdtempSync(path.join(os.tmpdir(), "ttnid-readme-app-"));
  // No DATABASE_URL from the test environment: README's first steps use the embedded database.
  const { DATABASE_URL: _ignored, ...baseEnv } = process.env;
  // The Keycloak example starts the service "with AUTH_PROVIDER_SECRET_KEY set": one key for the whole run.
  const env: Record<string, string | undefined> = { ...baseEnv, DATA_DIR: dataDir, LOG_LEVEL: "info", NO_COLOR: "1", AUTH_PROVIDER_SECRET_KEY: "a1".repeat(32) };
  let server: ChildProcess;
  let baseUrl = "";
  let startLine = "";
  const local = (text: string) => text.replaceAll("http://localhost:1885", baseUrl);
  const sh = (script: string, cwd = root) =>
    exec("bash", ["-c", `set -euo pipefail\n${script}`], { cwd, env, maxBuffer: 16 << 20, timeout: 90_000 })
      .then((r) => ({ code: 0, ...r }), (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" }));

  beforeAll(async () => {
    const [start] = codeBlocks(section("First steps"), "sh");
    expect(start!.trim()).toBe("npm start");
    // Its own process group, so stopping it stops npm and the server under it.
    server = spawn("bash", ["-c", start!], { cwd: root, env: { ...env, PORT: "0" }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.on("data", (d) => {
        log += d;
        const match = /"port":(\d+)[^\n]*identity server listening/.exec(log);
        if (match) {
          startLine = log.split("\n").find((l) => l.includes("identity server listening"))!;
          resolve(Number(match[1]));
        }
      });
      server.stderr!.on("data", (d) => { log += d; });
      server.on("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${log}`)));
    });
    baseUrl = `http://127.0.0.1:${port}`;
  }, 180_000);

  afterAll(async () => {
    if (server?.pid) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      process.kill(-server.pid, "SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
    rmSync(path.join(root, "ttn-identity-client-0.1.0.tgz"), { force: true });
  });

  it("the start-up log says where the console, the RPC endpoint, the HTTP API and the data are", () => {
    expect(JSON.parse(startLine)).toMatchObject({
      host: "127.0.0.1", console: `${baseUrl}/console/`, rpc: baseUrl, httpApi: `${baseUrl}/api/v3`, database: `embedded (${dataDir})`,
    });
  });

  it("First steps: an admin and a key, while the server runs", async () => {
    const [, setup] = codeBlocks(section("First steps"), "sh");
    const run = await sh(`${setup}\nprintf 'KEY=%s\\n' "$KEY"`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("created admin user admin");
    env.KEY = /^KEY=(.*)$/m.exec(run.stdout)![1];
    expect(env.KEY).toMatch(/^NNSXS\.[A-Z2-7]+\.[A-Z2-7]+$/);
  });

  for (const title of ["Calling it", "HTTP/JSON API"]) {
    it(`${title}: every shell command`, async () => {
      const list = codeBlocks(section(title), "sh").flatMap(commands);
      expect(list.length).toBeGreaterThan(2);
      for (const { label, command } of list) {
        const run = await sh(local(command));
        const expectsError = /an error/.test(label);
        expect({ command, code: run.code, stderr: run.code ? run.stderr : "" }).toEqual({ command, code: 0, stderr: "" });
        expect({ command, error: /"message": ?"error:/.test(run.stdout) }).toEqual({ command, error: expectsError });
      }
    });
  }

  it("Single sign-on: the key generator and the list of providers a browser is offered", async () => {
    const list = codeBlocks(section("Single sign-on (OpenID Connect)"), "sh").flatMap(commands);
    expect(list.map((c) => c.command.split(" ")[0])).toEqual(["node", "curl"]);
    const [key, providers] = [await sh(list[0]!.command), await sh(local(list[1]!.command))];
    expect([key.code, key.stdout.trim()]).toEqual([0, expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect([providers.code, JSON.parse(providers.stdout)]).toEqual([0, { providers: [] }]);
  });

  it("Single sign-on, Keycloak: the provider registered with buf curl, or with the operator CLI while the server runs", async () => {
    const text = section("Single sign-on (OpenID Connect)");
    const [register] = codeBlocks(text, "text");
    expect(register).toContain("AuthenticationProviderRegistry/Create");
    const cli = /`(npm run cli -- create-auth-provider [^`]+)`/.exec(text)![1]!.replace(/\s+/g, " ");
    const providers = codeBlocks(text, "sh").flatMap(commands).find((c) => c.command.includes("/oauth/api/auth/providers"))!.command;
    const offered = async () => {
      const run = await sh(local(providers));
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { providers: { provider_id: string; name: string }[] }).providers.map((p) => [p.provider_id, p.name]);
    };

    const created = await sh(local(register!));
    expect([created.code, created.stderr]).toEqual([0, ""]);
    expect(created.stdout).toMatch(/"provider_?[iI]d": ?"keycloak"/);
    expect(await offered()).toEqual([["keycloak", "Keycloak"]]);

    // The other way of step 3 registers the same provider: remove the first one, then run the CLI line as written.
    const removed = await sh(`curl -sf -X DELETE -H "Authorization: Bearer $KEY" ${baseUrl}/api/v3/authentication_providers/keycloak`);
    expect([removed.code, removed.stdout]).toEqual([0, "{}"]);
    expect(await offered()).toEqual([]);
    const byCli = await sh(cli);
    expect([byCli.code, byCli.stderr]).toEqual([0, ""]);
    expect(byCli.stdout).toContain("created authentication provider keycloak (OIDC, https://keycloak.example.com/realms/lorawan)");
    expect(await offered()).toEqual([["keycloak", "Keycloak"]]);
  });

  it("Calling it: every request body of the Services table, through buf curl with the admin's key", async () => {
    const text = section("Calling it");
    const rows = [...text.matchAll(/^\| `((?:ttn|tti)\.lorawan\.v3\.\w+)` \|.*\| `(\w+)\/(\w+) (\{.*\})` \|$/gm)];
    expect(rows.length).toBe(10);
    const [inline] = [...text.matchAll(/`(npx buf curl [^`]+)`/g)].map((m) => m[1]!);
    for (const [, service, , method, body] of rows) {
      const command = `npx buf curl --schema . --protocol connect -H "Authorization: Bearer $KEY" -d '${body}' ${baseUrl}/${service}/${method}`;
      const run = await sh(command);
      // A fresh server has no external user linked: that lookup may find nothing, but must be a valid, allowed call.
      const allowed = run.code === 0 || (method === "GetByExternalID" && /"code": ?"not_found"/.test(run.stderr));
      expect({ command, allowed, stderr: allowed ? "" : run.stderr }).toEqual({ command, allowed: true, stderr: "" });
    }
    const run = await sh(local(inline!));
    expect([run.code, run.stderr]).toEqual([0, ""]);
  });

  it("Calling it: the Connect-ES example prints the user", async () => {
    const [example] = codeBlocks(section("Calling it"), "ts");
    const file = path.join(root, `.readme-me-${process.pid}.ts`);
    writeFileSync(file, local(example!));
    try {
      const run = await sh(`npx tsx ${path.basename(file)}`);
      expect([run.code, run.stderr, run.stdout.trim()]).toEqual([0, "", "admin admin@example.com"]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("Using the SDK: installs from the packed tarball, runs the Node example, type-checks the browser example", async () => {
    const text = section("Using the SDK");
    const [install] = codeBlocks(text, "sh");
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "your-project", private: true, type: "module" }));
    const installed = await sh(install!.replaceAll("/path/to/your-project", project).replaceAll("/path/to/ttn-identity", root));
    expect(installed.code, installed.stderr).toBe(0);

    const [browser, node] = codeBlocks(text, "ts");
    expect(browser).toContain("createAccountClient");
    writeFileSync(path.join(project, "browser.ts"), browser!);
    writeFileSync(path.join(project, "node.ts"), local(node!));
    // The browser example as a bundler resolves it (the "browser" export), the Node one as Node does.
    const compilerOptions = {
      target: "ES2022", lib: ["ES2023", "DOM"], strict: true, noEmit: true, skipLibCheck: true,
      types: ["node"], typeRoots: [path.join(root, "node_modules/@types")],
    };
    const configs = {
      browser: { ...compilerOptions, module: "ESNext", moduleResolution: "Bundler", customConditions: ["browser"] },
      node: { ...compilerOptions, module: "NodeNext", moduleResolution: "NodeNext" },
    };
    for (const [name, options] of Object.entries(configs)) {
      writeFileSync(path.join(project, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: options, files: [`${name}.ts`] }));
      const tsc = await sh(`node ${path.join(root, "node_modules/typescript/bin/tsc")} -p tsconfig.${name}.json`, project);
      expect([name, tsc.code, tsc.stdout]).toEqual([name, 0, ""]);
    }

    const run = await sh(`${path.join(root, "node_modules/.bin/tsx")} node.ts`, project);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toMatch(/^\d+ of \d+ users\n3 pkg\/errors:validation \{ 'user\.primary_email_address': '.+' \}\n$/);
  });
});

describe("README, console development as written", { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-readme-vite-"));
  const processes: ChildProcess[] = [];
  const { DATABASE_URL: _ignored, ...baseEnv } = process.env;

  /** Runs a README command in its own process group; resolves once its output matches `ready`. */
  function start(command: string, env: Record<string, string>, ready: RegExp): Promise<void> {
    const child = spawn("bash", ["-c", command], { cwd: root, env: { ...baseEnv, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    processes.push(child);
    let log = "";
    return new Promise((resolve, reject) => {
      // Colours stripped: Vite colours its output when CI is set, even into a pipe.
      const onData = (d: Buffer) => { log += d; if (ready.test(stripVTControlCharacters(log))) resolve(); };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("exit", (code) => reject(new Error(`${command} exited with ${code}:\n${log}`)));
    });
  }

  afterAll(async () => {
    for (const child of processes) {
      if (!child.pid || child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the console through Vite and logs in through its proxy", async () => {
    const [block] = codeBlocks(section("Web console"), "sh");
    const [serve, vite] = commands(block!).map((c) => c.command);
    expect(serve).toBe("CORS_ORIGINS=http://localhost:5173 npm start");
    expect(vite).toBe("npx vite --config web/vite.config.ts --logLevel info");
    // The documented ports (1885, 5173) may be taken on a test machine: the same commands on free ones.
    const [apiPort, vitePort] = [await freePort(), await freePort()];
    const origin = `http://localhost:${vitePort}`;
    const env = { DATA_DIR: dataDir, LOG_LEVEL: "info", PORT: String(apiPort) };
    await start(serve!.replace("http://localhost:5173", origin), env, /identity server listening/);
    await start(`${vite} --port ${vitePort} --strictPort`, { API_URL: `http://127.0.0.1:${apiPort}` }, /Local:/);

    const admin = await exec("npm", ["run", "-s", "cli", "--", "create-admin-user", "--user-id", "admin", "--email", "admin@example.com", "--password", "Choose-A-Str0ng-One"], { cwd: root, env: { ...baseEnv, ...env } });
    expect(admin.stdout).toContain("created admin user admin");

    const page = await fetch(`${origin}/console/`);
    expect([page.status, (await page.text()).includes("<html")]).toEqual([200, true]);
    const login = await fetch(`${origin}/oauth/api/auth/login`, {
      method: "POST", headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ user_id: "admin", password: "Choose-A-Str0ng-One" }),
    });
    expect(login.status, await login.text()).toBe(204);
    expect(login.headers.get("set-cookie")).toMatch(/^_session=/);
  });
});
