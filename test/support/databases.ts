// The backends every store test runs on: embedded PGlite always, PostgreSQL when TEST_DATABASE_URL is set
// (one shared test suite for all backends, as upstream does).
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { embeddedDir, openDatabase, type Database } from "../../server/store/database.js";
import { migrate } from "../../server/store/migrate.js";

export interface TestDatabase {
  db: Database;
  /** Set for PostgreSQL: reopen with openDatabase({ databaseUrl: url, dataDir }). */
  url?: string;
  /** Embedded: reopen the same files with openDatabase({ dataDir }). */
  dataDir: string;
  dispose(): Promise<void>;
}

export interface CreateOptions {
  /** Default true. false gives an empty database, for testing migrations themselves. */
  migrate?: boolean;
  migrationsDir?: string;
}

export interface DatabaseBackend {
  name: "embedded" | "postgres";
  create(options?: CreateOptions): Promise<TestDatabase>;
}

export function databaseBackends(): DatabaseBackend[] {
  const backends: DatabaseBackend[] = [{ name: "embedded", create: createEmbedded }];
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) backends.push({ name: "postgres", create: (o) => createPostgres(adminUrl, o) });
  return backends;
}

async function prepare(db: Database, options: CreateOptions = {}) {
  if (options.migrate !== false) await migrate(db, options.migrationsDir);
}

const closeQuietly = (db: Database) => db.close().catch(() => {}); // tests may have closed it already

// PGlite's first start runs initdb (~7 s); copying an initialized data directory takes well under a second.
let template: Promise<string> | undefined;
function embeddedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "ttnid-pglite-template-")), "pglite");
    const pglite = await PGlite.create(dir);
    await pglite.close();
    process.once("exit", () => rmSync(path.dirname(dir), { recursive: true, force: true }));
    return dir;
  })();
  return template;
}

async function createEmbedded(options?: CreateOptions): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-test-"));
  cpSync(await embeddedTemplate(), embeddedDir(dataDir), { recursive: true });
  const db = await openDatabase({ dataDir });
  await prepare(db, options);
  return {
    db, dataDir,
    async dispose() {
      await closeQuietly(db);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createPostgres(adminUrl: string, options?: CreateOptions): Promise<TestDatabase> {
  const name = `ttnid_test_${randomUUID().replace(/-/g, "")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-test-"));
  const db = await openDatabase({ databaseUrl: url, dataDir });
  await prepare(db, options);
  return {
    db, url, dataDir,
    async dispose() {
      await closeQuietly(db);
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
