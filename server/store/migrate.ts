// Applies prisma/migrations without Prisma's native engine (not installable here), on both backends.
// Bookkeeping uses Prisma's own `_prisma_migrations` layout, so the native CLI (where available) agrees with it.
// Each migration.sql runs as one unsplit script in one transaction together with its bookkeeping row, so a
// failing migration leaves nothing behind; a transaction-scoped advisory lock serializes concurrent starts.
// Consequence: a migration.sql must not contain its own BEGIN/COMMIT or statements that refuse to run in a
// transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE … ADD VALUE before PostgreSQL 12).
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Database, SqlTransaction } from "./database.js";

/** Arbitrary constant shared by every instance of this service ("ttnid" in ASCII). */
const MIGRATION_LOCK_KEY = 0x747_46e_6964;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {
  constructor(message: string, readonly migrationNames: string[] = []) {
    super(message);
    this.name = "MigrationError";
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  /** SHA-256 hex of migration.sql, as Prisma records it. */
  checksum: string;
}

export const checksumOf = (sql: string) => createHash("sha256").update(sql).digest("hex");

/** The migration directories in order (names start with a UTC timestamp). */
export function readMigrations(migrationsDir: string): MigrationFile[] {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(migrationsDir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: checksumOf(sql) };
    });
}

/** Applies pending migrations; returns the names applied by this call (empty when up to date). */
export async function migrate(db: Database, migrationsDir = "prisma/migrations"): Promise<string[]> {
  const migrations = readMigrations(migrationsDir);
  const applied: string[] = [];
  // One transaction per migration: each re-reads the state under the lock, so a concurrent process that got
  // there first is simply seen as "already applied".
  for (;;) {
    const name = await db.sqlTransaction((tx) => applyNext(tx, migrations));
    if (!name) return applied;
    applied.push(name);
  }
}

async function applyNext(tx: SqlTransaction, migrations: MigrationFile[]): Promise<string | undefined> {
  await tx.sql("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
  await tx.script(CREATE_MIGRATIONS_TABLE);
  const { rows } = await tx.sql(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
  );
  const done = new Map<string, { checksum: string; finished: boolean }>();
  for (const r of rows) done.set(r.migration_name, { checksum: r.checksum, finished: r.finished_at != null });

  // Rows with finished_at NULL only come from the native engine (ours roll back instead); like `prisma migrate
  // deploy`, refuse to continue until someone resolves them.
  const failed = [...done].filter(([, r]) => !r.finished).map(([n]) => n);
  if (failed.length) throw new MigrationError(`failed migrations need manual resolution: ${failed.join(", ")}`, failed);
  const edited = migrations.filter((m) => done.has(m.name) && done.get(m.name)!.checksum !== m.checksum).map((m) => m.name);
  if (edited.length) {
    throw new MigrationError(`applied migrations were modified after being applied: ${edited.join(", ")}`, edited);
  }

  const next = migrations.find((m) => !done.has(m.name));
  if (!next) return undefined;
  const startedAt = new Date();
  try {
    await tx.script(next.sql);
  } catch (err) {
    throw new MigrationError(`migration ${next.name} failed: ${(err as Error).message}`, [next.name]);
  }
  await tx.sql(
    `INSERT INTO "_prisma_migrations"
       (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
     VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
    [randomUUID(), next.checksum, next.name, startedAt],
  );
  return next.name;
}

/**
 * The migrations in `migrations` that the database has not applied (all of them when it was never migrated).
 * Read-only and lock-free, for readiness checks: an instance whose code expects a newer schema is not ready.
 * Migrations the database has and this code does not know (a newer deployment migrated first) are not a problem.
 */
export async function pendingMigrations(db: Database, migrations: MigrationFile[]): Promise<string[]> {
  const { rows } = await db.sql(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
  if (!rows[0]?.present) return migrations.map((m) => m.name);
  const applied = await db.sql(
    `SELECT migration_name FROM "_prisma_migrations" WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL`,
  );
  const done = new Set(applied.rows.map((r) => r.migration_name as string));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
