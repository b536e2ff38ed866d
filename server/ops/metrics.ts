// Prometheus metrics (prom-client), one registry per app so in-process test servers do not mix their counts.
// What is measured: every RPC by service, method, protocol and gRPC code, with its latency; logins; rate-limit
// refusals; the mail queue; the database pool. Served at /metrics (see metricsRoute).
import { timingSafeEqual, createHash } from "node:crypto";
import { Code } from "@connectrpc/connect";
import cluster from "node:cluster";
import client from "prom-client";
import { ACCOUNT_API_PREFIX } from "../account/routes.js";
import type { LimitHit, RateLimits } from "../auth/rate-limit.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../transport/http-route.js";
import type { CallObserver } from "../transport/logging.js";
import { clusterMetricsSource } from "./metrics-cluster.js";

export interface PoolStats { total: number; idle: number; waiting: number }

export interface MetricsSources {
  limits: RateLimits;
  /** Messages waiting to be sent (not yet sent, not given up). */
  mailQueueDepth(): Promise<number>;
  /** The database connection pool, when there is one (PostgreSQL). */
  pool?: () => PoolStats;
}

const LOGIN_PATHS: Record<string, "password" | "token"> = {
  [`${ACCOUNT_API_PREFIX}auth/login`]: "password",
  [`${ACCOUNT_API_PREFIX}auth/token-login`]: "token",
};

/** How long a scrape waits for the database's part (the mail queue depth). */
const COLLECT_TIMEOUT_MS = 1_000;

/** "InvalidArgument" → "INVALID_ARGUMENT", as gRPC names its codes. */
const codeName = (code: Code | 0): string =>
  code === 0 ? "OK" : Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

export class Metrics {
  readonly registry = new client.Registry();
  private readonly rpcs = new client.Counter({
    name: "identity_rpc_requests_total", help: "RPCs handled, by service, method, protocol and gRPC code.",
    labelNames: ["service", "method", "protocol", "code"] as const, registers: [this.registry],
  });
  private readonly rpcSeconds = new client.Histogram({
    name: "identity_rpc_duration_seconds", help: "Time to handle an RPC (until its response starts).",
    labelNames: ["service", "method", "protocol"] as const, registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  private readonly logins = new client.Counter({
    name: "identity_logins_total", help: "Console logins, by method (password, token) and result (success, failure).",
    labelNames: ["method", "result"] as const, registers: [this.registry],
  });
  private readonly limited = new client.Counter({
    name: "identity_rate_limit_hits_total", help: "Requests refused (or notification mails dropped) by a rate limit.",
    labelNames: ["limit"] as const, registers: [this.registry],
  });

  /** The text a scrape gets: this process's metrics, or under WORKERS the sum over every worker. */
  readonly text: () => Promise<string>;

  constructor(sources: MetricsSources) {
    this.text = cluster.isWorker ? clusterMetricsSource(this.registry) : () => this.registry.metrics();
    client.collectDefaultMetrics({ register: this.registry });
    sources.limits.on("limited", (hit: LimitHit) => this.limited.inc({ limit: hit.limit }));
    new client.Gauge({
      name: "identity_mail_queue_depth", help: "Mails waiting in the outbox (not sent, not given up).",
      registers: [this.registry],
      async collect() {
        // A scrape while the database is down (or slow) still reports everything else, in time; the gauge keeps
        // its last value.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), COLLECT_TIMEOUT_MS); });
        try {
          const depth = await Promise.race([sources.mailQueueDepth(), late]);
          if (depth !== undefined) this.set(depth);
        } catch { /* see above */ } finally {
          clearTimeout(timer);
        }
      },
    });
    if (sources.pool) {
      const pool = sources.pool;
      const gauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
        new client.Gauge({ name, help, registers: [this.registry], collect() { this.set(pick(pool())); } });
      gauge("identity_db_pool_connections", "Database connections open in this process's pool.", (s) => s.total);
      gauge("identity_db_pool_idle_connections", "Open database connections not in use.", (s) => s.idle);
      gauge("identity_db_pool_waiting_requests", "Queries waiting for a free database connection.", (s) => s.waiting);
    }
  }

  /** Counts a finished RPC (a CallObserver of the call-report interceptor): the code is the one the client got. */
  readonly observeCall: CallObserver = (req, protocol, code, seconds) => {
    const labels = { service: req.service.typeName, method: req.method.name, protocol };
    this.rpcs.inc({ ...labels, code: codeName(code) });
    this.rpcSeconds.observe(labels, seconds);
  };

  /** Console logins are HTTP calls of the account API: counted by the status they answer with. */
  watchLogin(req: HttpRequest, res: HttpResponse): void {
    if (req.method !== "POST" || !req.url?.startsWith(ACCOUNT_API_PREFIX)) return; // most requests: RPCs
    const method = LOGIN_PATHS[req.url.split("?")[0]!];
    if (method) res.once("finish", () => this.logins.inc({ method, result: res.statusCode < 300 ? "success" : "failure" }));
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** GET /metrics in Prometheus' text format; with a token, only for `Authorization: Bearer <token>`. */
export function metricsRoute(metrics: Metrics, token: string | undefined): HttpRoute {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return (req: HttpRequest, res: HttpResponse) => {
    if (req.url !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) return false;
    if (expected && !timingSafeEqual(digest(String(req.headers.authorization ?? "")), expected)) {
      res.statusCode = 401;
      res.setHeader("www-authenticate", 'Bearer realm="metrics"');
      res.end();
      return true;
    }
    void metrics.text().then(
      (text) => {
        res.setHeader("content-type", metrics.registry.contentType);
        res.setHeader("cache-control", "no-store");
        res.end(text);
      },
      () => { res.statusCode = 500; res.end(); },
    );
    return true;
  };
}
