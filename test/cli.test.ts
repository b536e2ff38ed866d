// The operator CLI on the embedded database and on PostgreSQL when available: run in process (see
// test/support/cli.ts) and once spawned as an operator runs it; then the server started on the same data proves
// what the CLI wrote.
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { UserRegistry } from "../gen/ttn/lorawan/v3/user_services_pb.js";
import { startServer } from "../server/app.js";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { runCli as cli, spawnCli } from "./support/cli.js";
import { databaseBackends, type DatabaseBackend } from "./support/databases.js";

const TOKEN = /^NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/;

interface Target { name: string; env: Record<string, string>; dispose(): Promise<void> }

/** An empty database (initialized, no tables): the CLI migrates it. */
async function emptyTarget(backend: DatabaseBackend): Promise<Target> {
  const database = await backend.create({ migrate: false });
  await database.db.close();
  const env: Record<string, string> = { DATA_DIR: database.dataDir, ...(database.url ? { DATABASE_URL: database.url } : {}) };
  return { name: backend.name, env, dispose: () => database.dispose() };
}

const targets: [string, () => Promise<Target>][] = databaseBackends().map((b) => [b.name, () => emptyTarget(b)]);

for (const [name, makeTarget] of targets) {
  describe(`operator CLI on ${name}`, { timeout: 90_000 }, () => {
    let target: Target;
    let key = "";
    beforeAll(async () => { target = await makeTarget(); });
    afterAll(async () => { await target?.dispose(); });

    const admin = ["create-admin-user", "--user-id", "ops-admin", "--email", "ops@example.com", "--password", "Ops-Passw0rd"];

    it("migrate applies the migrations and exits 0", async () => {
      const run = await spawnCli(target.env, "migrate");
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/applied: |no pending migrations/);
      const again = await cli(target.env, "migrate");
      expect([again.code, again.stdout.trim()]).toEqual([0, "no pending migrations"]);
    });

    it("create-admin-user creates an admin once; a second run exits 1 and writes nothing", async () => {
      const first = await cli(target.env, ...admin);
      expect([first.code, first.stdout.trim()]).toEqual([0, "created admin user ops-admin"]);
      const second = await cli(target.env, ...admin.slice(0, 4), "other@example.com", "--password", "Ops-Passw0rd");
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^error: a user with ID "ops-admin" .*already exists/);
      expect(second.stdout).toBe("");
    });

    it("create-admin-user refuses a weak password", async () => {
      const run = await cli(target.env, "create-admin-user", "--user-id", "weak-admin", "--email", "weak@example.com", "--password", "weak");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error:pkg\/identityserver:password_strength_min_length /);
    });

    it("create-api-key prints the key as the last line of stdout", async () => {
      const run = await cli(target.env, "create-api-key", "--user-id", "ops-admin", "--rights", "RIGHT_ALL", "--name", "n", "--expires-in", "24h");
      expect(run.code).toBe(0);
      key = run.stdout.trimEnd().split("\n").at(-1)!;
      expect(key).toMatch(TOKEN);
    });

    it("create-api-key explains a bad right, a bad duration and an unknown user", async () => {
      const base = ["create-api-key", "--user-id", "ops-admin", "--name", "n"];
      const cases: [string[], RegExp][] = [
        [[...base, "--rights", "RIGHT_NOPE"], /unknown right "RIGHT_NOPE"/],
        [[...base, "--rights", "RIGHT_ALL", "--expires-in", "forever"], /--expires-in/],
        [["create-api-key", "--user-id", "nobody-here", "--rights", "RIGHT_ALL"], /user "nobody-here" does not exist/],
      ];
      for (const [args, message] of cases) {
        const run = await cli(target.env, ...args);
        expect(run.code, args.join(" ")).toBe(1);
        expect(run.stderr).toMatch(message);
        expect(run.stdout).toBe("");
      }
    });

    it("the server on the same data accepts the printed key; meanwhile the embedded database refuses the CLI", async () => {
      const config = loadConfig({ ...target.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" });
      const server = await startServer(config, createLogger("silent"), { mailTransport: async () => {} });
      try {
        const bearer: Interceptor = (next) => (req) => { req.header.set("authorization", `Bearer ${key}`); return next(req); };
        const transport = createConnectTransport({ baseUrl: `http://127.0.0.1:${server.listener.port}`, httpVersion: "1.1", interceptors: [bearer] });
        const info = await createClient(EntityAccess, transport).authInfo({});
        expect(info.isAdmin).toBe(true);

        // Nothing was written by the failed runs: the admin is the only user.
        let total: string | null = null;
        const { users } = await createClient(UserRegistry, transport).list(
          { fieldMask: { paths: ["primary_email_address", "admin"] } }, { onHeader: (h) => { total = h.get("x-total-count"); } },
        );
        expect(total).toBe("1");
        expect(users.map((u) => [u.ids?.userId, u.primaryEmailAddress, u.admin])).toEqual([["ops-admin", "ops@example.com", true]]);

        if (!target.env.DATABASE_URL) {
          const locked = await spawnCli(target.env, "migrate"); // another process, as the lock is per process
          expect(locked.code).toBe(1);
          expect(locked.stderr).toMatch(/^error: .*in use/);
        }
      } finally {
        await server.close();
      }
    });
  });
}
