// Fixed-window counters behind every rate limit, shared by all instances of the service: in Redis when one is
// configured, else in PostgreSQL (table rate_limit_counters), else (embedded database, one process) in memory.
// rate-limiter-flexible does the atomic counting in each store; this module only picks the store.
//
// When Redis or PostgreSQL cannot be reached, counting goes on in this process's memory (the library's
// "insurance" limiter), so limits still hold per instance and no request waits for or fails on the store.
import pg from "pg";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

export type CounterStoreKind = "memory" | "postgres" | "redis";

export interface CounterRule {
  /** Names the counter family; part of every key, so families never share a count. */
  name: string;
  /** What a window allows. */
  points: number;
  /** Window length in whole seconds' worth of milliseconds (config enforces that). */
  windowMs: number;
}

export interface Taken {
  /** False when this take went over the window's allowance (the take is counted anyway). */
  allowed: boolean;
  /** Until the window ends and the allowance is whole again. */
  retryAfterMs: number;
}

export interface Counter {
  readonly rule: CounterRule;
  /** Counts one for `key` and says whether the window still allowed it; atomic across instances. */
  take(key: string): Promise<Taken>;
  /** Gives back one taken earlier (an attempt that did not happen, or did not count). */
  giveBack(key: string): Promise<void>;
  /** Forgets `key`'s count. */
  reset(key: string): Promise<void>;
}

export interface CounterStore {
  kind: CounterStoreKind;
  counter(rule: CounterRule): Counter;
  close(): Promise<void>;
}

export interface CounterStoreOptions {
  redis?: Redis;
  /** Prefix of every Redis key (REDIS_KEY_PREFIX). */
  redisKeyPrefix?: string;
  /** PostgreSQL URL, used when there is no Redis. */
  postgresUrl?: string;
}

/** The table the PostgreSQL store counts in; created by a migration (rate-limiter-flexible's own shape). */
const COUNTER_TABLE = "rate_limit_counters";

export function openCounterStore(options: CounterStoreOptions): CounterStore {
  if (options.redis) {
    const redis = options.redis;
    const prefix = options.redisKeyPrefix ?? "";
    return {
      kind: "redis",
      counter: (rule) => wrap(rule, new RateLimiterRedis({
        storeClient: redis,
        rejectIfRedisNotReady: true,
        keyPrefix: `${prefix}rate-limit:${rule.name}`,
        ...limits(rule),
        insuranceLimiter: memory(rule),
      })),
      close: async () => {}, // the Redis client belongs to whoever opened it
    };
  }
  if (options.postgresUrl) {
    // Its own small pool: a counter query must never wait behind (or for) a connection that a request's
    // transaction holds, and a slow database must not hold requests for long (the insurance takes over).
    const pool = new pg.Pool({ connectionString: options.postgresUrl, max: 4, connectionTimeoutMillis: 2_000, query_timeout: 2_000 });
    pool.on("error", () => {});
    let sweeping = false;
    return {
      kind: "postgres",
      counter: (rule) => {
        const limiter = new RateLimiterPostgres({
          storeClient: pool,
          storeType: "pool",
          tableName: COUNTER_TABLE,
          tableCreated: true,
          // One family sweeps expired rows (every 5 minutes); the others need not repeat it.
          clearExpiredByTimeout: !sweeping,
          keyPrefix: `rate-limit:${rule.name}`,
          ...limits(rule),
          insuranceLimiter: memory(rule),
        });
        sweeping = true;
        return wrap(rule, limiter);
      },
      close: () => pool.end(),
    };
  }
  return { kind: "memory", counter: (rule) => wrap(rule, memory(rule)), close: async () => {} };
}

const limits = (rule: CounterRule) => ({ points: rule.points, duration: Math.max(1, Math.ceil(rule.windowMs / 1000)) });

const memory = (rule: CounterRule) => new RateLimiterMemory({ keyPrefix: `rate-limit:${rule.name}`, ...limits(rule) });

function wrap(rule: CounterRule, limiter: RateLimiterAbstract): Counter {
  const retryAfter = (res: RateLimiterRes) => (res.msBeforeNext >= 0 ? res.msBeforeNext : rule.windowMs);
  return {
    rule,
    async take(key) {
      try {
        const res = await limiter.consume(key, 1);
        return { allowed: true, retryAfterMs: retryAfter(res) };
      } catch (err) {
        // The library rejects with its result when the allowance is used up, and with an Error when the store
        // (and its insurance) failed.
        if (err instanceof RateLimiterRes) return { allowed: false, retryAfterMs: retryAfter(err) };
        throw err;
      }
    },
    async giveBack(key) {
      await limiter.reward(key, 1);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}
