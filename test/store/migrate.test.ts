import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { databaseBackends } from "../support/databases.js";
import { openDatabase } from "../../server/store/database.js";
import { checksumOf, migrate, MigrationError, readMigrations } from "../../server/store/migrate.js";

const projectMigrations = readMigrations("prisma/migrations");

/** A throwaway migrations directory: { "0001_name": "sql", … }. */
function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ttnid-migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

const tableExists = async (sql: (q: string, p?: unknown[]) => Promise<{ rows: any[] }>, name: string) =>
  (await sql("SELECT to_regclass($1) IS NOT NULL AS present", [name])).rows[0].present as boolean;

for (const backend of databaseBackends()) {
  describe(`migrate (${backend.name})`, { timeout: 120_000 }, () => {
    it("applies every migration to an empty database and records it as Prisma does", async () => {
      const { db, dispose } = await backend.create({ migrate: false });
      try {
        expect(await migrate(db)).toEqual(projectMigrations.map((m) => m.name));
        const { rows } = await db.sql(
          `SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count
             FROM "_prisma_migrations" ORDER BY migration_name`,
        );
        expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(projectMigrations.map((m) => [m.name, m.checksum]));
        for (const r of rows) {
          expect(r.finished_at).not.toBeNull();
          expect(r.rolled_back_at).toBeNull();
          expect(r.applied_steps_count).toBe(1);
        }
        expect(await tableExists(db.sql, "users")).toBe(true);

        expect(await migrate(db)).toEqual([]);
      } finally {
        await dispose();
      }
    });

    it("keeps data across close and reopen", async () => {
      const { db, url, dataDir, dispose } = await backend.create();
      try {
        await db.prisma.user.create({ data: { userId: "persisted", primaryEmailAddress: "p@example.com", passwordHash: "x" } });
        await db.close();
        const reopened = await openDatabase({ databaseUrl: url, dataDir });
        try {
          expect(await migrate(reopened)).toEqual([]);
          expect(await reopened.prisma.user.findUnique({ where: { userId: "persisted" } })).toMatchObject({
            primaryEmailAddress: "p@example.com",
          });
        } finally {
          await reopened.close();
        }
      } finally {
        await dispose();
      }
    });

    it("applies each migration once when two instances start together", async () => {
      const { db, url, dataDir, dispose } = await backend.create({ migrate: false });
      // PostgreSQL: a second pool like a second process. Embedded: one process owns the files, so both calls share it.
      const other = url ? await openDatabase({ databaseUrl: url, dataDir }) : db;
      try {
        const results = await Promise.all([migrate(db), migrate(other)]);
        expect(results.flat().sort()).toEqual(projectMigrations.map((m) => m.name));
        const { rows } = await db.sql(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
        expect(rows[0].n).toBe(projectMigrations.length);
      } finally {
        if (other !== db) await other.close();
        await dispose();
      }
    });

    it("leaves nothing of a failing migration behind", async () => {
      const dir = migrationsDir({
        "0001_good": "CREATE TABLE good_table (id int);",
        "0002_bad": "CREATE TABLE bad_table (id int);\nSELEC this is not sql;\n",
      });
      const { db, dispose } = await backend.create({ migrate: false });
      try {
        const error = await migrate(db, dir).catch((e) => e);
        expect(error).toBeInstanceOf(MigrationError);
        expect(error.migrationNames).toEqual(["0002_bad"]);
        expect(await tableExists(db.sql, "good_table")).toBe(true);
        expect(await tableExists(db.sql, "bad_table")).toBe(false);
        const { rows } = await db.sql(`SELECT migration_name FROM "_prisma_migrations" ORDER BY 1`);
        expect(rows.map((r) => r.migration_name)).toEqual(["0001_good"]);
      } finally {
        await dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("reports an applied migration that was modified afterwards", async () => {
      const dir = migrationsDir({ "0001_first": "CREATE TABLE first_table (id int);" });
      const { db, dispose } = await backend.create({ migrate: false });
      try {
        expect(await migrate(db, dir)).toEqual(["0001_first"]);
        const edited = "CREATE TABLE first_table (id bigint);";
        writeFileSync(path.join(dir, "0001_first", "migration.sql"), edited);
        const error = await migrate(db, dir).catch((e) => e);
        expect(error).toBeInstanceOf(MigrationError);
        expect(error.message).toMatch(/modified/);
        expect(error.migrationNames).toEqual(["0001_first"]);
        // The record still holds the checksum of what actually ran.
        const { rows } = await db.sql(`SELECT checksum FROM "_prisma_migrations"`);
        expect(rows[0].checksum).toBe(checksumOf("CREATE TABLE first_table (id int);"));
      } finally {
        await dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
