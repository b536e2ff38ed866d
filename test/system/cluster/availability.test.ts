// Availability as an operator sees it: /readyz follows the database (through a proxy the test can cut), and an
// instance stopped gracefully behind HAProxy (deploy/haproxy.cfg, unchanged) loses no request of a steady load.
import { spawn, type ChildProcess } from "node:child_process";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../../gen/ttn/lorawan/v3/identityserver_pb.js";
import type { PreparedDatabase } from "../hostile/support.js";
import {
  bearer, buildServer, clusterEnv, eventually, freePort, prepareClusterDatabase, readiness, repo, sharedServices, startInstance,
  startTcpProxy, type Instance,
} from "./support.js";

describe("readiness follows the database and Redis", { timeout: 120_000 }, () => {
  let db: PreparedDatabase;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let instance: Instance;

  beforeAll(async () => {
    const { redisUrl } = sharedServices();
    await buildServer();
    db = await prepareClusterDatabase();
    const url = new URL(db.url!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    const redis = new URL(redisUrl);
    redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    redis.host = `127.0.0.1:${redisProxy.port}`;
    instance = await startInstance("proxied", { ...clusterEnv(db, redis.href), DATABASE_URL: url.href });
  }, 240_000);

  afterAll(async () => {
    await instance?.stop();
    await proxy?.close();
    await redisProxy?.close();
    await db?.dispose();
  });

  it("is unready while PostgreSQL cannot be reached, says so, and is ready again when it can", async () => {
    expect((await readiness(instance.baseUrl)).body).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok", redis: "ok" } });
    proxy.cut();
    const down = await eventually("unready after the cut", 15_000, async () => {
      const r = await readiness(instance.baseUrl);
      return r.status === 503 ? r.body : undefined;
    });
    expect(down).toEqual({ status: "unready", checks: { database: "unreachable", migrations: "unknown", redis: "ok" } });
    // Liveness is not readiness: the process is fine, a restart would not help.
    expect((await fetch(`${instance.baseUrl}/healthz`)).status).toBe(200);
    proxy.restore();
    await eventually("ready after the restore", 15_000, async () => ((await readiness(instance.baseUrl)).status === 200 ? true : undefined));
    // And it serves again.
    await eventually("serving after the restore", 15_000, async () => (await instance.client(EntityAccess, db.adminKey).authInfo({})).isAdmin || undefined);
  });

  it("is unready while Redis cannot be reached (shared limits would count apart), and ready again when it can", async () => {
    redisProxy.cut();
    const down = await eventually("unready after the cut", 15_000, async () => {
      const r = await readiness(instance.baseUrl);
      return r.status === 503 ? r.body : undefined;
    });
    expect(down).toEqual({ status: "unready", checks: { database: "ok", migrations: "ok", redis: "unreachable" } });
    redisProxy.restore();
    await eventually("ready after the restore", 15_000, async () => ((await readiness(instance.baseUrl)).status === 200 ? true : undefined));
  });
});

describe("a graceful stop behind HAProxy", { timeout: 180_000 }, () => {
  let db: PreparedDatabase;
  let instances: Instance[] = [];
  let haproxy: ChildProcess | undefined;
  let haproxyOutput = "";
  let front = "";

  beforeAll(async () => {
    const { redisUrl } = sharedServices();
    await buildServer();
    db = await prepareClusterDatabase();
    // As compose.yaml runs them: behind the proxy, and unready for a moment before the listener closes.
    const env = { ...clusterEnv(db, redisUrl), TRUST_PROXY: "true", SHUTDOWN_DELAY: "3s" };
    instances = await Promise.all(["one", "two", "three"].map((name) => startInstance(name, env)));
    const port = await freePort();
    front = `http://127.0.0.1:${port}`;
    haproxy = spawn("haproxy", ["-db", "-f", "deploy/haproxy.cfg"], {
      cwd: repo,
      env: {
        PATH: process.env.PATH ?? "", HAPROXY_BIND: `127.0.0.1:${port}`,
        ...Object.fromEntries(instances.map((i, n) => [`IDENTITY_${n + 1}`, `127.0.0.1:${i.port}`])),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    haproxy.stdout!.on("data", (c: Buffer) => { haproxyOutput += c.toString(); });
    haproxy.stderr!.on("data", (c: Buffer) => { haproxyOutput += c.toString(); });
    await eventually("HAProxy answers", 15_000, async () => ((await readiness(front)).status === 200 ? true : undefined), 100)
      .catch((err) => { throw new Error(`${(err as Error).message}\n${haproxyOutput}`); });
  }, 240_000);

  afterAll(async () => {
    haproxy?.kill("SIGKILL");
    await Promise.all(instances.map((i) => i.stop()));
    await db?.dispose();
  });

  it("keeps /metrics away from the public side", async () => {
    expect((await fetch(`${front}/metrics`)).status).toBe(404);
    expect((await fetch(`${instances[0]!.baseUrl}/metrics`)).status).toBe(200);
  });

  it("answers every request of a steady load while one instance stops", async () => {
    const clients = [
      ...Array.from({ length: 4 }, () => createClient(EntityAccess, createConnectTransport({ baseUrl: front, httpVersion: "1.1", interceptors: bearer(db.adminKey) }))),
      ...Array.from({ length: 2 }, () => createClient(EntityAccess, createGrpcTransport({ baseUrl: front, interceptors: bearer(db.adminKey) }))),
    ];
    let done = 0;
    let running = true;
    const failures: string[] = [];
    const workers = clients.map(async (client) => {
      while (running) {
        try {
          await client.authInfo({});
          done++;
        } catch (err) {
          const e = ConnectError.from(err);
          failures.push(`${Code[e.code]}: ${e.rawMessage}`);
        }
      }
    });
    const served = async (i: Instance) => {
      const text = await (await fetch(`${i.baseUrl}/metrics`)).text();
      return [...text.matchAll(/^identity_rpc_requests_total\{[^}]*method="AuthInfo"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    try {
      await eventually("load reaches every instance", 30_000, async () => (done >= 300 && (await Promise.all(instances.map(served))).every((n) => n > 0) ? true : undefined), 100)
        .catch(async (err) => { throw new Error(`${(err as Error).message}: ${done} answered, served ${await Promise.all(instances.map(served))}, failures ${failures.slice(0, 5)}\n${haproxyOutput.slice(0, 3000)}`); });
      const stopping = instances[1]!;
      const before = done;
      expect(await stopping.stop()).toBe(0);
      // The load goes on through the others.
      await eventually("load continues after the stop", 30_000, async () => (done >= before + 300 ? true : undefined), 100);
    } finally {
      running = false;
      await Promise.all(workers);
    }
    expect(failures).toEqual([]);
    expect(done).toBeGreaterThanOrEqual(600);
  });
});
