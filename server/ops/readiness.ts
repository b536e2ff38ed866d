// Readiness: whether this instance should get traffic now. Unlike liveness (/healthz), it looks at what the
// instance depends on: the database answers, Redis answers (when configured), the schema is the one this code
// expects, and the instance is not shutting down.
import type { Redis } from "ioredis";
import type { Database } from "../store/database.js";
import { pendingMigrations, type MigrationFile } from "../store/migrate.js";

/** How long one dependency may take to answer before it counts as unreachable. */
const CHECK_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  /** Per dependency: "ok", or why not (short and free of connection details, the endpoint is public). */
  checks: Record<string, string>;
}

export interface ReadinessSources {
  database: Database;
  redis?: Redis;
  /** The migrations this code ships; any of them missing in the database makes the instance unready. */
  migrations: MigrationFile[];
  /** Set once shutdown begins, so load balancers stop sending before the listener closes. */
  stopping(): boolean;
}

function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const database = within(sources.database.sql("SELECT 1"), CHECK_TIMEOUT_MS, "database").then(
    async () => {
      checks.database = "ok";
      const pending = await within(pendingMigrations(sources.database, sources.migrations), CHECK_TIMEOUT_MS, "database");
      checks.migrations = pending.length
        ? `${pending.length} pending (${pending.join(", ")}): run npm run cli -- migrate`
        : "ok";
    },
    () => { checks.database = "unreachable"; checks.migrations = "unknown"; },
  ).catch(() => { checks.migrations = "unknown"; });
  const redis = sources.redis
    ? within(sources.redis.ping(), CHECK_TIMEOUT_MS, "redis").then(() => { checks.redis = "ok"; }, () => { checks.redis = "unreachable"; })
    : undefined;
  await Promise.all([database, redis]);
  if (sources.stopping()) checks.shutdown = "in progress";
  return { ready: Object.values(checks).every((c) => c === "ok"), checks };
}
