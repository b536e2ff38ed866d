// Start-up and background work as several instances see them: migrations applied once (or left to the operator
// with MIGRATE_ON_START=false, which keeps the instance unready), the expiry clean-up deleting each expired record
// once, and request IDs in the log lines of a request.
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { startServer } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { CLEANUP_LOCK_KEY, ExpiryCleanup } from "../../server/ops/expiry-cleanup.js";
import { openDatabase } from "../../server/store/database.js";
import { migrate, readMigrations } from "../../server/store/migrate.js";
import { ManualClock } from "../support/clock.js";
import { databaseBackends } from "../support/databases.js";

const silent = createLogger("silent");
const HOUR = 3600_000;

for (const backend of databaseBackends()) {
  describe(`start-up on ${backend.name}`, { timeout: 120_000 }, () => {
    it("MIGRATE_ON_START=false starts on a schema that is behind, unready and saying why, until it is migrated", async () => {
      const database = await backend.create({ migrate: false });
      if (backend.name === "embedded") await database.db.close(); // one process per embedded directory
      const config = loadConfig({
        HOST: "127.0.0.1", PORT: "0", DATA_DIR: database.dataDir, MIGRATE_ON_START: "false",
        ...(database.url ? { DATABASE_URL: database.url } : {}),
      });
      const server = await startServer(config, silent);
      try {
        const url = `http://127.0.0.1:${server.listener.port}/readyz`;
        const behind = await fetch(url);
        expect(behind.status).toBe(503);
        const body = await behind.json();
        expect(body.checks.database).toBe("ok");
        expect(body.checks.migrations).toContain(`${readMigrations("prisma/migrations").length} pending`);
        expect(body.checks.migrations).toContain("npm run cli -- migrate");
        // The operator's migrate step (another process on PostgreSQL; the same one on the embedded database).
        expect((await migrate(backend.name === "embedded" ? server.app.database : database.db)).length).toBeGreaterThan(0);
        expect((await fetch(url)).status).toBe(200);
      } finally {
        await server.close();
        await database.dispose();
      }
    });
  });
}

// Several instances need a database that several processes can open: PostgreSQL (TEST_DATABASE_URL, as in CI).
const postgres = databaseBackends().find((b) => b.name === "postgres");
if (postgres) describe("several instances on one PostgreSQL database", { timeout: 90_000 }, () => {
  it("starting three at once on an empty database applies every migration exactly once", async () => {
    const database = await postgres.create({ migrate: false });
    const config = loadConfig({ HOST: "127.0.0.1", PORT: "0", DATA_DIR: database.dataDir, DATABASE_URL: database.url! });
    const servers = await Promise.all([1, 2, 3].map(() => startServer(config, silent)));
    try {
      const { rows } = await database.db.sql(`SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name`);
      expect(rows.length).toBe(readMigrations("prisma/migrations").length);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      for (const server of servers) expect((await fetch(`http://127.0.0.1:${server.listener.port}/readyz`)).status).toBe(200);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await database.dispose();
    }
  });

  it("an expiry clean-up pass skips while another instance's pass holds the lock", async () => {
    const database = await postgres.create();
    const other = await openDatabase({ databaseUrl: database.url, dataDir: database.dataDir });
    try {
      const cleanup = new ExpiryCleanup(other, new ManualClock(), silent, { intervalMs: HOUR, retentionMs: 0 });
      const whileHeld = await database.db.sqlTransaction(async (tx) => {
        await tx.sql("SELECT pg_advisory_xact_lock($1)", [CLEANUP_LOCK_KEY]);
        return cleanup.runOnce();
      });
      expect(whileHeld).toEqual({ skipped: true });
      expect((await cleanup.runOnce()).skipped).toBe(false);
    } finally {
      await other.close();
      await database.dispose();
    }
  });
});

// The clean-up on each backend: on PostgreSQL from three instances at once (each its own connection pool).
for (const backend of databaseBackends()) {
  describe(`expiry clean-up on ${backend.name}`, { timeout: 90_000 }, () => {
    it("deletes each expired record once, from however many instances, and keeps the rest until their retention passed", async () => {
      const database = await backend.create();
      const others = backend.name === "postgres"
        ? await Promise.all([1, 2].map(() => openDatabase({ databaseUrl: database.url, dataDir: database.dataDir })))
        : [];
      const clock = new ManualClock(new Date("2030-01-01T00:00:00Z"));
      const db = database.db.prisma;
      try {
        const at = (h: number) => new Date(clock.now().getTime() + h * HOUR);
        const user = await db.user.create({
          data: {
            userId: "cleanup-user", primaryEmailAddress: "c@example.com", passwordHash: "x",
            temporaryPasswordHash: "temporary", temporaryPasswordExpiresAt: at(-3),
          },
        });
        await db.userSession.createMany({ data: [
          { userId: user.id, secretHash: "a", expiresAt: at(-3) }, { userId: user.id, secretHash: "b", expiresAt: at(1) },
        ] });
        await db.loginToken.createMany({ data: [
          { userId: user.id, tokenHash: "t1", expiresAt: at(-3) }, { userId: user.id, tokenHash: "t2", expiresAt: at(1) },
        ] });
        await db.invitation.createMany({ data: [
          { email: "old@example.com", token: "i1", expiresAt: at(-3) }, { email: "new@example.com", token: "i2", expiresAt: at(1) },
        ] });
        await db.emailValidation.createMany({ data: [
          { reference: "v1", tokenHash: "v1", userId: user.id, emailAddress: "c@example.com", expiresAt: at(-3) },
          { reference: "v2", tokenHash: "v2", userId: user.id, emailAddress: "c@example.com", expiresAt: at(1) },
        ] });

        const cleanups = [database.db, ...others].map((d) => new ExpiryCleanup(d, clock, silent, { intervalMs: HOUR, retentionMs: 2 * HOUR }));
        const results = await Promise.all(cleanups.map((c) => c.runOnce()));
        const total = (kind: string) => results.reduce((n, r) => n + (r.skipped ? 0 : r.removed[kind] ?? 0), 0);
        for (const kind of ["sessions", "login_tokens", "invitations", "email_validations", "temporary_passwords"]) expect(total(kind), kind).toBe(1);
        expect((await db.userSession.findMany({ select: { secretHash: true } })).map((s) => s.secretHash)).toEqual(["b"]);
        expect((await db.loginToken.findMany({ select: { tokenHash: true } })).map((t) => t.tokenHash)).toEqual(["t2"]);
        expect((await db.invitation.findMany({ select: { token: true } })).map((i) => i.token)).toEqual(["i2"]);
        expect((await db.emailValidation.findMany({ select: { reference: true } })).map((v) => v.reference)).toEqual(["v2"]);
        expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).temporaryPasswordHash).toBeNull();

        // Within the retention period an expired record stays (sessions are listed with their expiry).
        clock.advance(2 * HOUR);
        const again = await cleanups[0]!.runOnce();
        expect(again).toEqual({ skipped: false, removed: expect.objectContaining({ sessions: 0, login_tokens: 0, invitations: 0 }) });
        clock.advance(HOUR + 1);
        const later = await cleanups.at(-1)!.runOnce();
        expect(later).toEqual({ skipped: false, removed: expect.objectContaining({ sessions: 1, login_tokens: 1, invitations: 1 }) });
      } finally {
        await Promise.all(others.map((d) => d.close()));
        await database.dispose();
      }
    });
  });
}

describe("request IDs in logs", () => {
  /** A client interceptor that sends `id` as the request's X-Request-Id. */
  const tagged = (id: string): Interceptor[] => [(next) => (req) => { req.header.set("x-request-id", id); return next(req); }];
  let lines: any[];
  let server: Awaited<ReturnType<typeof startServer>>;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const database = await databaseBackends()[0]!.create();
    await database.db.close();
    dispose = database.dispose;
    lines = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    server = await startServer(loadConfig({ HOST: "127.0.0.1", PORT: "0", DATA_DIR: database.dataDir }), createLogger("info", sink));
  });
  afterAll(async () => { await server?.close(); await dispose?.(); });

  it("every log line of a request carries its ID, the client's or a generated one", async () => {
    const baseUrl = `http://127.0.0.1:${server.listener.port}`;
    const traced = createClient(EntityAccess, createConnectTransport({
      baseUrl, httpVersion: "1.1", interceptors: tagged("trace-77"),
    }));
    await traced.authInfo({});
    expect(lines.filter((l) => l.msg === "rpc").map((l) => l.request_id)).toEqual(["trace-77"]);

    const res = await fetch(`${baseUrl}/ttn.lorawan.v3.EntityAccess/AuthInfo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const generated = res.headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.filter((l) => l.msg === "rpc").map((l) => l.request_id)).toEqual(["trace-77", generated]);
  });

  it("the call's line names the protocol it came over, a failed call's too", async () => {
    const baseUrl = `http://127.0.0.1:${server.listener.port}`;
    await createClient(EntityAccess, createGrpcTransport({ baseUrl, interceptors: tagged("p-grpc") })).authInfo({});
    await createClient(EntityAccess, createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: tagged("p-grpc-web") })).authInfo({});
    await createClient(EntityAccess, createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors: tagged("p-connect") })).authInfo({});
    const viaHttpApi = await fetch(`${baseUrl}/api/v3/auth_info`, { headers: { "x-request-id": "p-http" } });
    expect(viaHttpApi.status).toBe(200);
    const failed = await fetch(`${baseUrl}/api/v3/users/nobody-here`, { headers: { "x-request-id": "p-http-failed" } });
    expect(failed.status).toBe(401);
    const protocolOf = (id: string) => lines.filter((l) => l.msg === "rpc" && l.request_id === id).map((l) => l.protocol);
    expect(protocolOf("p-grpc")).toEqual(["grpc"]);
    expect(protocolOf("p-grpc-web")).toEqual(["grpc-web"]);
    expect(protocolOf("p-connect")).toEqual(["connect"]);
    expect(protocolOf("p-http")).toEqual(["http"]);
    expect(lines.filter((l) => l.request_id === "p-http-failed" && l.msg === "rpc")).toEqual([
      expect.objectContaining({ protocol: "http", code: 16 }),
    ]);
  });

  it("so do the lines handlers write, over the HTTP API and the browser login too", async () => {
    const baseUrl = `http://127.0.0.1:${server.listener.port}`;
    const send = (path: string, id: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": id }, body: JSON.stringify(body) });
    const created = await send("/api/v3/users", "trace-create", { user: { ids: { user_id: "traced-user" }, primary_email_address: "traced@example.com", password: "Traced-Passw0rd" } });
    expect(created.status).toBe(200);
    const wrong = await send("/oauth/api/auth/login", "trace-wrong", { user_id: "traced-user", password: "Not-The-Passw0rd" });
    expect(wrong.status).toBe(400);
    const right = await send("/oauth/api/auth/login", "trace-right", { user_id: "traced-user", password: "Traced-Passw0rd" });
    expect(right.status).toBe(204);
    const idOf = (msg: string) => lines.filter((l) => l.msg === msg).map((l) => l.request_id);
    expect(idOf("user created")).toEqual(["trace-create"]);
    expect(idOf("login failed")).toEqual(["trace-wrong"]);
    expect(idOf("user logged in")).toEqual(["trace-right"]);
  });
});
