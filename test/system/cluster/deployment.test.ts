// The deployment recipe, checked as far as a machine without a container runtime allows: compose.yaml is
// consistent with itself, with deploy/haproxy.cfg, the Dockerfile and the server's configuration; HAProxy accepts
// its file; and README "Production" commands that run here do what they say (migrate, the haproxy check, the
// start line against this machine's PostgreSQL and Redis).
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../../server/config.js";
import { databaseBackends, type TestDatabase } from "../../support/databases.js";
import { buildServer, eventually, readiness, repo, sharedServices, startInstance } from "./support.js";

const run = promisify(execFile);
const read = (file: string) => readFileSync(path.join(repo, file), "utf8");
const compose = parse(read("compose.yaml"));
const haproxyCfg = read("deploy/haproxy.cfg");
const dockerfile = read("Dockerfile");
/** The Node flags `npm start` runs the server with: the image and README's host example must use the same. */
const startFlags = (JSON.parse(read("package.json")) as { scripts: { start: string } }).scripts.start.split(" ").filter((a) => a.startsWith("--"));
const instances = Object.keys(compose.services).filter((name) => /^identity-\d+$/.test(name));

/** Compose's `${VAR:-default}` with nothing set in the environment. */
const withDefaults = (value: unknown) => String(value).replace(/\$\{\w+:-([^}]*)\}/g, "$1");

describe("compose.yaml", () => {
  it("runs three instances behind HAProxy, on PostgreSQL and Redis, after a one-shot migration", () => {
    expect(instances).toEqual(["identity-1", "identity-2", "identity-3"]);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["postgres", "redis", "migrate", "haproxy"]));
    expect(compose.services.migrate.command).toEqual(["node", "build/server/cli.js", "migrate"]);
    for (const name of instances) {
      const service = compose.services[name];
      expect(service.depends_on.migrate.condition).toBe("service_completed_successfully");
      expect(service.environment.MIGRATE_ON_START).toBe("false");
      expect(service.healthcheck.test.join(" ")).toContain("/readyz");
      expect(compose.services.haproxy.depends_on[name].condition).toBe("service_healthy");
    }
  });

  it("gives the instances a configuration the server accepts, with every variable one it reads", () => {
    const configSource = read("server/config.ts");
    const readme = read("README.md");
    for (const name of instances) {
      const env = Object.fromEntries(Object.entries(compose.services[name].environment).map(([k, v]) => [k, withDefaults(v)]));
      for (const variable of Object.keys(env)) {
        expect(configSource, variable).toContain(`"${variable}"`);
        expect(readme, variable).toContain(`| \`${variable}\``);
      }
      const config = loadConfig(env);
      expect(config.databaseUrl).toBe(withDefaults(compose.services.migrate.environment.DATABASE_URL));
      expect(config.redisUrl).toMatch(/^redis:\/\/redis:/);
      expect([config.trustProxy, config.migrateOnStart, config.shutdownDelayMs > 0]).toEqual([true, false, true]);
    }
  });

  it("points HAProxy at every instance on the port the image listens on, with deploy/haproxy.cfg", () => {
    const port = /ENV[^\n]*\bPORT=(\d+)/.exec(dockerfile)?.[1];
    const haproxy = compose.services.haproxy;
    expect(haproxy.volumes).toContain("./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    instances.forEach((name, i) => {
      expect(haproxy.environment[`IDENTITY_${i + 1}`]).toBe(`${name}:${port}`);
      expect(haproxyCfg).toContain(`server ${name} "\${IDENTITY_${i + 1}}"`);
    });
    expect(haproxyCfg).toContain('bind "${HAPROXY_BIND}"');
    expect(haproxy.ports).toEqual([`${port}:${haproxy.environment.HAPROXY_BIND.replace(/^:/, "")}`]);
  });

  it("HAProxy accepts deploy/haproxy.cfg with compose's addresses", async () => {
    const env = { PATH: process.env.PATH ?? "", ...compose.services.haproxy.environment };
    const { stdout, stderr } = await run("haproxy", ["-c", "-f", "deploy/haproxy.cfg"], { cwd: repo, env });
    expect(`${stdout}${stderr}`).toContain("Configuration file is valid");
  });
});

describe("Dockerfile", () => {
  it("builds in one stage, installs production dependencies alone, and runs compiled JavaScript as a non-root user", () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const final = stages.at(-1)!;
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(final).toMatch(/^USER node$/m);
    expect(final).toContain(`CMD ${JSON.stringify(["node", ...startFlags, "build/server/main.js"]).replaceAll(",", ", ")}`);
    expect(final).not.toMatch(/COPY \. /);
    // What the final stage copies from the build exists after a build here.
    for (const [, from] of final.matchAll(/^COPY --from=build \/app\/(\S+)/gm)) expect(existsSync(path.join(repo, from!)), from).toBe(true);
    const ignored = read(".dockerignore").split("\n");
    for (const entry of ["node_modules", ".git", ".env", "build"]) expect(ignored).toContain(entry);
  });
});

describe("README Production commands", { timeout: 120_000 }, () => {
  const section = (() => {
    const readme = read("README.md");
    const start = readme.indexOf("\n## Production\n");
    return readme.slice(start, readme.indexOf("\n## ", start + 5));
  })();
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.replace(/\\\n\s*/g, "").split("\n")).filter(Boolean);
  let database: TestDatabase;
  beforeAll(async () => {
    await buildServer();
    database = await databaseBackends().find((b) => b.name === "postgres")!.create({ migrate: false });
  });
  afterAll(async () => { await database?.dispose(); });

  it("`npm run cli -- migrate` applies and names the migrations once, then has nothing to do", async () => {
    const line = commands.find((c) => c.includes("npm run cli -- migrate"));
    expect(line).toMatch(/^DATABASE_URL=\S+ npm run cli -- migrate$/);
    const env = { ...process.env, DATABASE_URL: database.url! };
    const first = await run("npm", ["run", "--silent", "cli", "--", "migrate"], { cwd: repo, env });
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\): \d{14}_/);
    const second = await run("npm", ["run", "--silent", "cli", "--", "migrate"], { cwd: repo, env });
    expect(second.stdout.trim()).toBe("no pending migrations");
  });

  it("the haproxy check line is valid as written", async () => {
    const line = commands.find((c) => c.includes("haproxy -c"))!;
    const [, vars] = /^((?:\w+=\S+ )+)haproxy -c -f deploy\/haproxy.cfg$/.exec(line)!;
    const env = Object.fromEntries(vars!.trim().split(" ").map((kv) => kv.split("=") as [string, string]));
    const { stdout, stderr } = await run("haproxy", ["-c", "-f", "deploy/haproxy.cfg"], { cwd: repo, env: { PATH: process.env.PATH ?? "", ...env } });
    expect(`${stdout}${stderr}`).toContain("Configuration file is valid");
  });

  it("the start line's variables are all ones the server accepts, and it runs Node as npm start does", () => {
    const line = commands.find((c) => c.includes("build/server/main.js"))!;
    expect(line).toContain(["node", ...startFlags, "build/server/main.js"].join(" "));
    const env = Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    const config = loadConfig(env);
    expect([config.migrateOnStart, config.trustProxy, config.shutdownDelayMs]).toEqual([false, true, 3000]);
  });

  it("the start line runs an instance that is ready on the database migrated above, and stops as it says", async () => {
    const line = commands.find((c) => c.includes("build/server/main.js"))!;
    const [, assignments] = /^((?:\w+=\S+ )+)node (?:--\S+ )*build\/server\/main\.js$/.exec(line)!;
    const env = Object.fromEntries(assignments!.trim().split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
    // As written, but for the addresses: this machine's database (migrated by the test before) and Redis, loopback.
    const instance = await startInstance("readme", {
      ...env, DATABASE_URL: database.url!, REDIS_URL: sharedServices().redisUrl, REDIS_KEY_PREFIX: `ttnid-readme-${Date.now()}:`, HOST: "127.0.0.1",
    });
    try {
      expect((await readiness(instance.baseUrl)).body).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok", redis: "ok" } });
      // SHUTDOWN_DELAY: unready first, while the listener still answers, then a clean exit.
      const stopped = instance.stop();
      const unready = await eventually("unready after SIGTERM", 2_500, async () => {
        const r = await readiness(instance.baseUrl);
        return r.status === 503 ? r.body : undefined;
      });
      expect(unready).toMatchObject({ status: "unready", checks: { shutdown: "in progress" } });
      expect(await stopped).toBe(0);
    } finally {
      await instance.stop();
    }
  });
});
