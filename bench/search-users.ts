// SearchUsers on a large user table: seeds N users (default 1,000,000) into a fresh PostgreSQL database, runs
// ANALYZE, then times searches through the real RPC (gRPC client → real server → PostgreSQL) and prints
// p50/p95/max per filter. The database is dropped afterwards.
// Run: npm run bench:search [-- N [runs]]   (PostgreSQL admin URL from TEST_DATABASE_URL, default local trust auth)
import { randomBytes } from "node:crypto";
import pg from "pg";
import { State } from "../gen/ttn/lorawan/v3/enums_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { EntityRegistrySearch, type SearchUsersRequestSchema } from "../gen/ttn/lorawan/v3/search_services_pb.js";
import { databaseBackends, startTestServer } from "../test/support/server.js";
import { FIRST_NAMES, GATEWAYS, seedUsers } from "./seed.js";

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 50);
const BATCH = 100_000;
process.env.TEST_DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/test";

type Search = MessageInitShape<typeof SearchUsersRequestSchema>;
const hex = (n: number) => randomBytes(Math.ceil(n / 2)).toString("hex").slice(0, n);
const int = (n: number) => Math.floor(Math.random() * n);
const CASES: [string, () => Search][] = [
  ["id_contains (4 hex chars)", () => ({ idContains: hex(4) })],
  ["name_contains (4 hex chars)", () => ({ nameContains: hex(4) })],
  ["name_contains (first name, ~5% match)", () => ({ nameContains: FIRST_NAMES[int(FIRST_NAMES.length)]!.slice(1, 5) })],
  ["query (gateway word, full-text)", () => ({ query: `gw${int(GATEWAYS)}` })],
  ["query (ID fragment)", () => ({ query: hex(5) })],
  ["description_contains (2 words)", () => ({ descriptionContains: `gateway gw${int(GATEWAYS)}` })],
  ["state = REJECTED (~20% match)", () => ({ state: [State.REJECTED] })],
  ["state + name_contains", () => ({ state: [State.APPROVED, State.FLAGGED], nameContains: hex(3) })],
  ["attributes_contain team", () => ({ attributesContain: { team: `team-${int(1000)}` } })],
  ["deleted + id_contains", () => ({ deleted: true, idContains: hex(3) })],
  ["order -created_at, page 3", () => ({ idContains: hex(3), order: "-created_at", page: 3, limit: 20 })],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const backend = databaseBackends().find((b) => b.name === "postgres")!;
const server = await startTestServer(backend);
const db = new pg.Client({ connectionString: server.config.databaseUrl });
await db.connect();
try {
  const seedStart = performance.now();
  await seedUsers((text, params) => db.query(text, params as unknown[]), N, (seeded) => process.stdout.write(`\rseeded ${seeded.toLocaleString("en")} users`), BATCH);
  const seedMs = performance.now() - seedStart;
  const analyzeStart = performance.now();
  await db.query("VACUUM ANALYZE"); // what autovacuum would have done on a live table
  const analyzeMs = performance.now() - analyzeStart;
  const { rows: [sizes] } = await db.query(
    `SELECT pg_size_pretty(pg_total_relation_size('users')) AS total, pg_size_pretty(pg_relation_size('users_user_id_lower_trgm_idx')) AS id_trgm,
            pg_size_pretty(pg_relation_size('users_name_lower_trgm_idx')) AS name_trgm, pg_size_pretty(pg_relation_size('users_description_fts_idx')) AS fts`,
  );
  console.log(`\nseed: ${N.toLocaleString("en")} users in ${(seedMs / 1000).toFixed(1)} s (batches of ${BATCH.toLocaleString("en")}, indexes in place); VACUUM ANALYZE ${(analyzeMs / 1000).toFixed(1)} s`);
  console.log(`users table incl. indexes ${sizes.total}; trigram user_id ${sizes.id_trgm}, trigram name ${sizes.name_trgm}, description full-text ${sizes.fts}`);

  const search = server.client(EntityRegistrySearch, "grpc", server.adminKey);
  for (let i = 0; i < 20; i++) await search.searchUsers({ idContains: hex(4) }); // warm-up (connections, JIT)
  console.log(`\n${RUNS} SearchUsers calls per case over gRPC, default limit (100), field mask [name, state]; ms per call incl. x-total-count`);
  console.log(`${"case".padEnd(40)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"max".padStart(7)}  mean hits (x-total-count)`);
  for (const [name, make] of CASES) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < RUNS; i++) {
      const req = { ...make(), fieldMask: { paths: ["name", "state"] } } as Search;
      const start = performance.now();
      await search.searchUsers(req, { onHeader: (h) => { hits += Number(h.get("x-total-count")); } });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const f = (ms: number) => ms.toFixed(1).padStart(7);
    console.log(`${name.padEnd(40)} ${f(percentile(times, 50))} ${f(percentile(times, 95))} ${f(times.at(-1)!)}  ${Math.round(hits / RUNS).toLocaleString("en")}`);
  }
} finally {
  await db.end();
  await server.close(); // drops the database
}
