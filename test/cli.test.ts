// The operator CLI on a live service, on the embedded database (through the running server's operator socket,
// as the CLI does then) and on PostgreSQL (on a connection of its own, beside the server): every command, its
// refusals (non-zero, nothing written) and --help, with the effect checked through the server's API. One real
// spawn of the CLI proves the wiring from the shell.
import { readdirSync } from "node:fs";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../gen/ttn/lorawan/v3/enums_pb.js";
import { EntityAccess } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { UserRegistry } from "../gen/ttn/lorawan/v3/user_services_pb.js";
import { COMMANDS } from "../server/operator-commands.js";
import { callOperatorSocket } from "../server/operator-socket.js";
import { runCli, runWithConfig, spawnCli, type CliRun } from "./support/cli.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "./support/server.js";
import { adminCreatesUser } from "./support/users.js";

const TOKEN = /^NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/;

/** The command as `npm run cli` runs it beside `server`: through its socket (embedded) or on its own connection. */
async function operator(server: TestServer, ...argv: string[]): Promise<CliRun> {
  const { config } = server;
  if (!config.databaseUrl) {
    const reply = await callOperatorSocket(config.dataDir, argv);
    if (!reply) throw new Error("the server does not answer on its operator socket");
    return reply;
  }
  return runWithConfig(config, ...argv);
}

for (const backend of databaseBackends()) {
  describe(`operator CLI beside a running server on ${backend.name}`, { timeout: 60_000 }, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend); });
    afterAll(async () => { await server?.close(); });

    const users = (token = server.adminKey) => server.client(UserRegistry, "connect", token);
    const authInfo = (token: string) => server.client(EntityAccess, "connect", token).authInfo({});

    it("creates an admin named `admin` (operators are not bound by the blocklist) and a key that works at once", async () => {
      const created = await operator(server, "create-admin-user", "--user-id", "admin", "--email", "root@example.com", "--password", "Choose-A-Str0ng-One");
      expect(created).toEqual({ code: 0, stdout: "created admin user admin\n", stderr: "" });
      const key = await operator(server, "create-api-key", "--user-id", "admin", "--rights", "RIGHT_ALL", "--name", "bootstrap", "--expires-in", "720h");
      expect(key.code).toBe(0);
      expect(key.stdout.trim()).toMatch(TOKEN); // the key alone: `KEY=$(npm run -s cli -- create-api-key …)`
      expect(key.stderr).toMatch(/shown only once/);
      const info = await authInfo(key.stdout.trim());
      expect([info.isAdmin, info.accessMethod.case]).toEqual([true, "apiKey"]);
    });

    it("refuses what it cannot do with a non-zero exit, a message, and nothing written", async () => {
      const cases: [string[], number, RegExp][] = [
        [["create-admin-user", "--user-id", "admin", "--email", "other@example.com", "--password", "Choose-A-Str0ng-One"], 1, /already exists/],
        [["create-admin-user", "--user-id", "weak-admin", "--email", "weak@example.com", "--password", "weak"], 1, /^error:pkg\/identityserver:password_strength_min_length /],
        [["create-api-key", "--user-id", "admin", "--rights", "RIGHT_NOPE"], 1, /unknown right "RIGHT_NOPE"/],
        [["create-api-key", "--user-id", "admin", "--rights", "RIGHT_ALL", "--expires-in", "forever"], 1, /--expires-in/],
        [["create-api-key", "--user-id", "nobody-here", "--rights", "RIGHT_ALL"], 1, /user "nobody-here" does not exist/],
        [["create-api-key", "--user-id", "admin"], 1, /--rights is required|at least one --rights/],
        [["reset-password", "--user-id", "nobody-here"], 1, /does not exist/],
        [["delete-user", "--user-id", "nobody-here"], 1, /does not exist/],
        [["restore-user", "--user-id", "admin"], 1, /is not deleted/],
        [["revoke-api-key", "--key-id", "AAAAAAAA"], 1, /does not exist/],
        [["list-users", "--limit", "0"], 1, /--limit/],
        [["delete-user"], 1, /--user-id is required/],
        [["delete-user", "--user-id", "admin", "--force"], 2, /Unknown option '--force'/],
        [["list-users", "extra"], 2, /Unexpected argument 'extra'/],
        [["make-coffee"], 2, /unknown command "make-coffee"/],
      ];
      for (const [argv, code, message] of cases) {
        const run = await operator(server, ...argv);
        expect({ argv, code: run.code, stdout: run.stdout }).toEqual({ argv, code, stdout: "" });
        expect(run.stderr, argv.join(" ")).toMatch(message);
      }
      const { users: all } = await users().list({});
      expect(all.map((u) => u.ids?.userId).sort()).toEqual(["admin", "admin-user"]);
    });

    it("--help works on every command", async () => {
      for (const name of Object.keys(COMMANDS)) {
        const run = await operator(server, name, "--help");
        expect({ name, code: run.code }).toEqual({ name, code: 0 });
        expect(run.stdout).toContain(`usage: npm run cli -- ${name}`);
      }
      const all = await operator(server, "--help");
      expect(all.code).toBe(0);
      for (const name of Object.keys(COMMANDS)) expect(all.stdout).toContain(name);
    });

    it("list-users shows users newest first, and the deleted ones with --deleted", async () => {
      await adminCreatesUser(server, "list-me");
      const run = await operator(server, "list-users", "--limit", "2");
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^USER_ID\s+STATE\s+ADMIN\s+EMAIL\s+CREATED$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
        ["list-me", "approved", "no", "list-me@example.com"], ["admin", "approved", "yes", "root@example.com"],
      ]);
      expect(run.stderr).toMatch(/^2 of 3 users/);
    });

    it("reset-password prints a temporary password that sets a new password, once", async () => {
      await adminCreatesUser(server, "forgetful");
      const run = await operator(server, "reset-password", "--user-id", "forgetful");
      expect(run.code).toBe(0);
      const temporary = run.stdout.trim();
      expect(run.stderr).toContain(`/oauth/update-password?user=forgetful&current=${encodeURIComponent(temporary)}`);
      await users().updatePassword({ userIds: { userId: "forgetful" }, old: temporary, new: "Brand-New-Passw0rd" });
      const reused = await rpcError(users().updatePassword({ userIds: { userId: "forgetful" }, old: temporary, new: "Another-Passw0rd" }));
      expect(reused.errorName).toBe("pkg/identityserver:old_password");
    });

    it("delete-user ends the user's access at once; restore-user brings the user back", async () => {
      await adminCreatesUser(server, "leaver");
      const key = (await operator(server, "create-api-key", "--user-id", "leaver", "--rights", "RIGHT_USER_INFO")).stdout.trim();
      await authInfo(key);
      expect(await operator(server, "delete-user", "--user-id", "leaver")).toEqual({ code: 0, stdout: "deleted user leaver\n", stderr: "" });
      expect((await rpcError(users().get({ userIds: { userId: "leaver" } }))).code).toBe(Code.NotFound);
      expect((await rpcError(authInfo(key))).code).toBe(Code.Unauthenticated);
      const deleted = await operator(server, "list-users", "--deleted");
      expect(deleted.stdout).toMatch(/^leaver\s+approved\s+no\s+leaver@example\.com/m);
      expect(await operator(server, "restore-user", "--user-id", "leaver")).toEqual({ code: 0, stdout: "restored user leaver\n", stderr: "" });
      const back = await users().get({ userIds: { userId: "leaver" }, fieldMask: { paths: ["state"] } });
      expect(back.state).toBe(State.APPROVED);
    });

    it("revoke-api-key, given the ID or the whole key, refuses the key on the next call", async () => {
      const first = (await operator(server, "create-api-key", "--user-id", "admin", "--rights", "RIGHT_USER_INFO")).stdout.trim();
      const second = (await operator(server, "create-api-key", "--user-id", "admin", "--rights", "RIGHT_USER_INFO")).stdout.trim();
      await authInfo(first); // now cached by the server: the revocation must reach the cache
      await authInfo(second);
      const byId = await operator(server, "revoke-api-key", "--key-id", first.split(".")[1]!);
      expect(byId).toEqual({ code: 0, stdout: `revoked API key ${first.split(".")[1]}\n`, stderr: "" });
      expect((await operator(server, "revoke-api-key", "--key-id", second)).code).toBe(0);
      for (const key of [first, second]) expect((await rpcError(authInfo(key))).code).toBe(Code.Unauthenticated);
    });
  });
}

describe("npm run cli, spawned", { timeout: 120_000 }, () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(databaseBackends()[0]!); });
  afterAll(async () => { await server?.close(); });

  it("reaches the running server on the embedded database, and opens the database itself when none runs", async () => {
    const key = await spawnCli({ DATA_DIR: server.config.dataDir }, "create-api-key", "--user-id", "admin-user", "--rights", "RIGHT_ALL");
    expect(key.code, key.stderr).toBe(0);
    expect((await authInfo(key.stdout.trim())).isAdmin).toBe(true);
    const refused = await spawnCli({ DATA_DIR: server.config.dataDir }, "create-api-key", "--user-id", "admin-user");
    expect([refused.code, refused.stdout]).toEqual([1, ""]);

    // A database that has never been migrated (a copy of an initialised one: initdb alone takes seconds).
    const fresh = await databaseBackends()[0]!.create({ migrate: false });
    await fresh.db.close();
    try {
      // migrate names what it applied, and a second run (in this process) finds nothing pending.
      const migrated = await spawnCli({ DATA_DIR: fresh.dataDir }, "migrate");
      const shipped = readdirSync("prisma/migrations", { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      expect([migrated.code, migrated.stdout.trim()]).toEqual([0, `applied ${shipped.length} migration(s): ${shipped.join(", ")}`]);
      const again = await runCli({ DATA_DIR: fresh.dataDir }, "migrate");
      expect([again.code, again.stdout.trim()]).toEqual([0, "no pending migrations"]);
    } finally {
      await fresh.dispose();
    }
  });

  const authInfo = (token: string) => server.client(EntityAccess, "connect", token).authInfo({});
});
