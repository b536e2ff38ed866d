// SearchUsers' total past the exact-count limit (EXACT_COUNT_LIMIT in service, lowered here to keep the table
// small): exact below it, PostgreSQL's estimate (never below the limit) above it, and the page the same either way.
import { describe, expect, it } from "vitest";
import { searchUsers, type UserSearch } from "../../server/store/user-search.js";

const LIMIT = 100;
import { databaseBackends } from "../support/databases.js";

const search = (s: Partial<UserSearch>): UserSearch => ({
  query: "", idContains: "", nameContains: "", descriptionContains: "", attributesContain: {}, states: [], deleted: false,
  order: "", take: 5, skip: 0, exactCountLimit: LIMIT, ...s,
});

for (const backend of databaseBackends()) {
  describe(`SearchUsers totals on ${backend.name}`, { timeout: 120_000 }, () => {
    it("counts up to the limit exactly and estimates beyond it, paging in order either way", async () => {
      const { db, dispose } = await backend.create();
      try {
        const many = 400;
        // Every user is "bulk-…" named "Common …"; every 10th is named "Rare …" instead.
        await db.sql(`INSERT INTO "users" ("id", "user_id", "name", "primary_email_address", "password_hash", "state", "updated_at")
          SELECT gen_random_uuid(), 'bulk-' || lpad(i::text, 6, '0'), CASE WHEN i % 10 = 0 THEN 'Rare ' ELSE 'Common ' END || i,
                 'bulk' || i || '@example.com', 'x', 1, now()
          FROM generate_series(1, ${many}) AS i`);
        await db.sql("ANALYZE users");

        const rare = await searchUsers(db.prisma, search({ nameContains: "rare" }));
        expect(rare.total).toBe(40);
        expect(rare.users.map((u) => u.userId)).toEqual(["bulk-000010", "bulk-000020", "bulk-000030", "bulk-000040", "bulk-000050"]);

        const common = await searchUsers(db.prisma, search({ idContains: "bulk-", skip: 10 }));
        expect(common.total).toBeGreaterThan(LIMIT);
        expect(common.users.map((u) => u.userId)).toEqual(["bulk-000011", "bulk-000012", "bulk-000013", "bulk-000014", "bulk-000015"]);

        const newest = await searchUsers(db.prisma, search({ idContains: "bulk-", order: "-user_id", take: 2 }));
        expect(newest.users.map((u) => u.userId)).toEqual(["bulk-000400", "bulk-000399"]);

        // Past the limit, by another column (user_id breaks ties): the order's column comes along with the IDs.
        const byName = await searchUsers(db.prisma, search({ idContains: "bulk-", order: "-name", take: 3 }));
        expect(byName.users.map((u) => u.userId)).toEqual(["bulk-000090", "bulk-000080", "bulk-000070"]);
        // Below it, a page past the last match is empty and still carries the total.
        expect(await searchUsers(db.prisma, search({ nameContains: "rare", skip: 40 }))).toEqual({ users: [], total: 40 });
        expect(await searchUsers(db.prisma, search({ nameContains: "nobody" }))).toEqual({ users: [], total: 0 });
      } finally {
        await dispose();
      }
    });
  });
}
