// The counters behind every rate limit, on each store: memory (embedded database), PostgreSQL and Redis. Two
// stores opened on the same PostgreSQL or Redis stand for two instances of the service: they share counts.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCounterStore, type CounterStore, type CounterStoreOptions } from "../../server/store/counters.js";
import { closeRedis, openRedis, redisReady } from "../../server/store/redis.js";
import { databaseBackends, type TestDatabase } from "../support/databases.js";

interface Backend {
  name: string;
  /** Options for a store on this backend; each call is another "instance". */
  setUp(): Promise<{ options: () => Promise<CounterStoreOptions>; tearDown(): Promise<void>; keys?(): Promise<string[]>; persistence?(): Promise<string> }>;
  shared: boolean;
}

const backends: Backend[] = [{ name: "memory", shared: false, setUp: async () => ({ options: async () => ({}), tearDown: async () => {} }) }];
const postgres = databaseBackends().find((b) => b.name === "postgres");
if (postgres) {
  backends.push({
    name: "postgres", shared: true,
    setUp: async () => {
      const db: TestDatabase = await postgres.create();
      return {
        options: async () => ({ postgresUrl: db.url }),
        tearDown: () => db.dispose(),
        keys: async () => (await db.db.sql('SELECT "key" FROM "rate_limit_counters"')).rows.map((r) => r.key as string),
        persistence: async () => (await db.db.sql(`SELECT relpersistence FROM pg_class WHERE oid = '"rate_limit_counters"'::regclass`)).rows[0]?.relpersistence,
      };
    },
  });
}
if (process.env.TEST_REDIS_URL) {
  const url = process.env.TEST_REDIS_URL;
  backends.push({
    name: "redis", shared: true,
    setUp: async () => {
      // Redis is shared by everyone on the machine: a prefix of our own, removed afterwards (never FLUSHALL).
      const prefix = `ttnid-test-${randomUUID()}:`;
      const clients = [openRedis(url)];
      return {
        options: async () => {
          const redis = openRedis(url);
          clients.push(redis);
          expect(await redisReady(redis, 5_000)).toBe(true);
          return { redis, redisKeyPrefix: prefix };
        },
        keys: () => clients[0]!.keys(`${prefix}*`),
        async tearDown() {
          const keys = await clients[0]!.keys(`${prefix}*`);
          if (keys.length) await clients[0]!.del(...keys);
          await Promise.all(clients.map(closeRedis));
        },
      };
    },
  });
}

for (const backend of backends) {
  describe(`rate-limit counters in ${backend.name}`, () => {
    let env: Awaited<ReturnType<Backend["setUp"]>>;
    let store: CounterStore;
    const stores: CounterStore[] = [];
    const open = async () => {
      const s = openCounterStore(await env.options());
      stores.push(s);
      return s;
    };
    beforeAll(async () => {
      env = await backend.setUp();
      store = await open();
      expect(store.kind).toBe(backend.name);
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await env?.tearDown();
    });

    it("allows exactly the allowance of 50 parallel takes, and says how long until the window ends", async () => {
      const counter = store.counter({ name: "test_parallel", points: 5, windowMs: 60_000 });
      const results = await Promise.all(Array.from({ length: 50 }, () => counter.take("k")));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
      for (const r of results.filter((r) => !r.allowed)) {
        expect(r.retryAfterMs).toBeGreaterThan(50_000);
        expect(r.retryAfterMs).toBeLessThanOrEqual(60_000);
      }
    });

    it("counts keys and limits apart, gives back and resets", async () => {
      const a = store.counter({ name: "test_a", points: 2, windowMs: 60_000 });
      const b = store.counter({ name: "test_b", points: 2, windowMs: 60_000 });
      expect((await a.take("x")).allowed).toBe(true);
      expect((await a.take("x")).allowed).toBe(true);
      expect((await a.take("x")).allowed).toBe(false);
      expect((await a.take("y")).allowed).toBe(true); // another key
      expect((await b.take("x")).allowed).toBe(true); // another limit
      await a.reset("x");
      expect((await a.take("x")).allowed).toBe(true);
      await a.giveBack("x");
      expect((await a.take("x")).allowed).toBe(true);
      expect((await a.take("x")).allowed).toBe(true);
      expect((await a.take("x")).allowed).toBe(false);
    });

    it("makes the allowance whole again when the window ends", async () => {
      const counter = store.counter({ name: "test_window", points: 1, windowMs: 1_000 });
      expect((await counter.take("w")).allowed).toBe(true);
      const refused = await counter.take("w");
      expect(refused.allowed).toBe(false);
      // The store's own clock ends the window (Redis and PostgreSQL keep time for every instance).
      await new Promise((r) => setTimeout(r, refused.retryAfterMs + 100));
      expect((await counter.take("w")).allowed).toBe(true);
    });

    // Memory counts are per instance by design: only the shared stores have this property.
    if (backend.shared) {
      it("shares counts between instances", async () => {
        const other = await open();
        const rule = { name: "test_shared", points: 3, windowMs: 60_000 };
        const here = store.counter(rule);
        const there = other.counter(rule);
        expect((await here.take("s")).allowed).toBe(true);
        expect((await there.take("s")).allowed).toBe(true);
        expect((await here.take("s")).allowed).toBe(true);
        expect((await there.take("s")).allowed).toBe(false);
        // Counted in the shared store itself, under the limit's name.
        expect((await env.keys!()).some((k) => k.includes("rate-limit:test_shared:s"))).toBe(true);
      });
    }

    // Counts need no durability: an unlogged table spares every take a WAL write and flush.
    if (backend.name === "postgres") {
      it("counts in an unlogged table", async () => {
        expect(await env.persistence!()).toBe("u");
      });
    }
  });
}

describe("rate-limit counters when the shared store is unreachable", () => {
  // A store that waited for the connection would never answer: ioredis retries forever, so the test would time out.
  it("count in memory instead of failing or waiting", async () => {
    const redis = openRedis("redis://127.0.0.1:1"); // nothing listens there
    const store = openCounterStore({ redis, redisKeyPrefix: "unreachable:" });
    try {
      const counter = store.counter({ name: "test_down", points: 2, windowMs: 60_000 });
      expect((await counter.take("d")).allowed).toBe(true);
      expect((await counter.take("d")).allowed).toBe(true);
      expect((await counter.take("d")).allowed).toBe(false);
    } finally {
      await store.close();
      await closeRedis(redis);
    }
  });
});
