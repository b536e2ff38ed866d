// The embedded database has no autovacuum: EmbeddedUpkeep analyses tables that changed enough and vacuums tables
// with enough dead rows, at PostgreSQL's default thresholds, and leaves the rest alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedUpkeep } from "../../server/ops/embedded-upkeep.js";
import { createLogger } from "../../server/logger.js";
import { databaseBackends, type TestDatabase } from "../support/databases.js";

describe("embedded database upkeep", () => {
  let test: TestDatabase;
  let upkeep: EmbeddedUpkeep;
  beforeAll(async () => {
    test = await databaseBackends().find((b) => b.name === "embedded")!.create();
    upkeep = new EmbeddedUpkeep(test.db, createLogger("silent"));
    // Test databases are pooled between files: start from no changes and no dead rows (what earlier statements
    // counted is reported first, or it would land after the reset).
    await settle();
    await test.db.sql("VACUUM ANALYZE");
    await settle();
  });
  afterAll(() => test.dispose());

  /** Statistics reach pg_stat_user_tables when the backend next goes idle (at most once a second unless forced). */
  const settle = async () => {
    await test.db.sql("SELECT pg_stat_force_next_flush()");
    await test.db.sql("SELECT 1");
  };
  const stats = async () =>
    (await test.db.sql(`SELECT n_mod_since_analyze::int AS changed, n_dead_tup::int AS dead, last_analyze IS NOT NULL AS analyzed
      FROM pg_stat_user_tables WHERE relname = 'users'`)).rows[0];
  const insertUsers = (from: number, to: number) => test.db.sql(`INSERT INTO "users" ("id", "user_id", "primary_email_address", "password_hash", "updated_at")
    SELECT gen_random_uuid(), 'upkeep-' || i, 'upkeep-' || i || '@example.com', 'x', now() FROM generate_series($1::int, $2::int) AS i`, [from, to]);

  it("analyses a table once it changed by more than 50 rows and a tenth, then not again until it changes", async () => {
    await insertUsers(1, 40);
    await settle();
    expect((await upkeep.runOnce()).analyzed).not.toContain("users");
    await insertUsers(41, 300);
    await settle();
    expect((await stats()).changed).toBe(300);
    expect((await upkeep.runOnce()).analyzed).toContain("users");
    await settle();
    expect(await stats()).toMatchObject({ changed: 0, analyzed: true });
    // The planner now knows the table: its estimate of the users called upkeep-… is their real count.
    const plan = (await test.db.sql(`EXPLAIN (FORMAT JSON) SELECT 1 FROM "users" WHERE "user_id" LIKE 'upkeep-%'`)).rows[0]["QUERY PLAN"];
    expect((typeof plan === "string" ? JSON.parse(plan) : plan)[0].Plan["Plan Rows"]).toBe(300);
    expect(await upkeep.runOnce()).toEqual({ analyzed: [], vacuumed: [] });
  });

  it("vacuums a table whose dead rows pass 50 and a fifth of its rows", async () => {
    await test.db.sql(`DELETE FROM "users" WHERE "user_id" LIKE 'upkeep-%' AND substr("user_id", 8)::int <= 150`);
    await settle();
    expect((await stats()).dead).toBe(150);
    const result = await upkeep.runOnce();
    expect(result.vacuumed).toContain("users");
    expect(result.analyzed).toContain("users"); // 150 changed rows of 300 are past the ANALYZE threshold too
    await settle();
    expect(await stats()).toMatchObject({ dead: 0, changed: 0 });
  });
});
