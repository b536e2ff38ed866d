// The operator's view of one instance: /readyz (and why it is not ready), /metrics as Prometheus scrapes it, and
// request IDs. On both databases, with Redis when TEST_REDIS_URL is set.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { createUser, login, PASSWORD } from "../account/support.js";
import { databaseBackends, PROTOCOLS, rpcError, startTestServer, type TestServer } from "../support/server.js";

const redisEnv = (): Record<string, string> =>
  process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: `ttnid-ops-${randomUUID()}:` } : {};

async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text() };
}

/** One sample's value from Prometheus' text format, e.g. sample(text, "x_total", { code: "OK" }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

for (const backend of databaseBackends()) {
  describe(`probes and metrics on ${backend.name}`, { timeout: 60_000 }, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { ...redisEnv(), LOGIN_RATE_LIMIT_PER_USER_ADDRESS: "2", LOGIN_RATE_LIMIT_PER_ADDRESS: "100" });
    });
    afterAll(async () => { await server?.close(); });

    it("/readyz is ready when the database (and Redis) answer and the schema is current", async () => {
      const ready = await getJson(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: "ready",
        checks: { database: "ok", migrations: "ok", ...(process.env.TEST_REDIS_URL ? { redis: "ok" } : {}) },
      });
      expect((await getJson(`${server.baseUrl}/healthz`)).status).toBe(200);
    });

    it("/readyz is unready, naming the migration, while the database lacks one this version ships", async () => {
      const [newest] = await server.db.$queryRawUnsafe<{ migration_name: string }[]>(
        `SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1`,
      ) as [{ migration_name: string }];
      await server.db.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, newest.migration_name);
      try {
        const behind = await getJson(`${server.baseUrl}/readyz`);
        expect(behind.status).toBe(503);
        expect(behind.body.status).toBe("unready");
        expect(behind.body.checks.database).toBe("ok");
        expect(behind.body.checks.migrations).toContain(`1 pending (${newest.migration_name})`);
      } finally {
        await server.db.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET rolled_back_at = NULL WHERE migration_name = $1`, newest.migration_name);
      }
      expect((await getJson(`${server.baseUrl}/readyz`)).status).toBe(200);
    });

    it("/metrics counts RPCs by service, method, protocol and code, logins, and rate-limit refusals", async () => {
      for (const protocol of PROTOCOLS) await server.client(EntityAccess, protocol, server.adminKey).authInfo({});
      expect((await rpcError(server.client(EntityAccess, "grpc", "NNSXS.WRONG.KEY").authInfo({}))).code).toBe(16);
      const http = await fetch(`${server.baseUrl}/api/v3/auth_info`, { headers: { authorization: `Bearer ${server.adminKey}` } });
      expect(http.status).toBe(200);
      const userId = await createUser(server);
      expect((await login(server, userId, "Wrong-Passw0rd")).status).toBe(400);
      expect((await login(server, userId, PASSWORD)).status).toBe(204);
      const other = await createUser(server);
      for (let i = 0; i < 3; i++) await login(server, other, "Wrong-Passw0rd");

      const res = await fetch(`${server.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const text = await res.text();
      const rpc = (protocol: string, code = "OK") =>
        sample(text, "identity_rpc_requests_total", { service: "ttn.lorawan.v3.EntityAccess", method: "AuthInfo", protocol, code });
      for (const protocol of ["connect", "grpc-web", "grpc", "http"]) expect(rpc(protocol), protocol).toBe(1);
      expect(rpc("grpc", "UNAUTHENTICATED")).toBe(1);
      expect(sample(text, "identity_rpc_duration_seconds_count", { service: "ttn.lorawan.v3.EntityAccess", method: "AuthInfo", protocol: "grpc" })).toBe(2);
      expect(sample(text, "identity_logins_total", { method: "password", result: "success" })).toBe(1);
      expect(sample(text, "identity_logins_total", { method: "password", result: "failure" })).toBe(4);
      expect(sample(text, "identity_rate_limit_hits_total", { limit: "password_attempts:user_address" })).toBe(1);
      expect(sample(text, "identity_mail_queue_depth")).toBeGreaterThanOrEqual(0);
      expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
      if (backend.name === "postgres") expect(sample(text, "identity_db_pool_connections")).toBeGreaterThan(0);
    });

    it("echoes a sane X-Request-Id and replaces one that is not", async () => {
      const given = await fetch(`${server.baseUrl}/healthz`, { headers: { "x-request-id": "trace-4f2a.9" } });
      expect(given.headers.get("x-request-id")).toBe("trace-4f2a.9");
      const odd = await fetch(`${server.baseUrl}/healthz`, { headers: { "x-request-id": `a b ${"x".repeat(300)}` } });
      expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const none = await fetch(`${server.baseUrl}/ttn.lorawan.v3.EntityAccess/AuthInfo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(none.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
}

describe("metrics settings", { timeout: 90_000 }, () => {
  const backend = databaseBackends()[0]!;

  it("METRICS_TOKEN makes /metrics answer only to that bearer token", async () => {
    const token = "scrape-token-0123456789";
    const server = await startTestServer(backend, { METRICS_TOKEN: token });
    try {
      const anonymous = await fetch(`${server.baseUrl}/metrics`);
      expect(anonymous.status).toBe(401);
      expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
      const scraped = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain("identity_rpc_requests_total");
    } finally {
      await server.close();
    }
  });

  it("METRICS_ENABLED=false serves no /metrics", async () => {
    const server = await startTestServer(backend, { METRICS_ENABLED: "false" });
    try {
      const res = await fetch(`${server.baseUrl}/metrics`);
      expect(res.status).not.toBe(200);
      expect(await res.text()).not.toContain("identity_");
    } finally {
      await server.close();
    }
  });
});
