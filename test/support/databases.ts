// The backends every store test runs on: embedded PGlite always, PostgreSQL when TEST_DATABASE_URL is set
// (one shared test suite for all backends, as upstream does).
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statfsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { createPGlite, embeddedDir, openDatabase, setEmbeddedLenderForTests, type Database } from "../../server/store/database.js";
import { migrate, readMigrations } from "../../server/store/migrate.js";

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

/** A migrated database nobody has open yet: for a server, which opens its own (PGlite allows one opener). */
export type UnopenedDatabase = Omit<TestDatabase, "db">;

export interface DatabaseBackend {
  name: "embedded" | "postgres";
  create(options?: CreateOptions): Promise<TestDatabase>;
  /** Like create(), without opening it here (opening PGlite costs most of a second, a PostgreSQL pool ~0.1 s). */
  createUnopened?(): Promise<UnopenedDatabase>;
}

export function databaseBackends(): DatabaseBackend[] {
  const backends: DatabaseBackend[] = [{ name: "embedded", create: createEmbedded, createUnopened: createEmbeddedUnopened }];
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) backends.push({ name: "postgres", create: (o) => createPostgres(adminUrl, o), createUnopened: () => createPostgresUnopened(adminUrl) });
  return backends;
}

const DEFAULT_MIGRATIONS = "prisma/migrations";
/** The pinned PGlite version (its data directory format can change between versions). */
const PGLITE_VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).dependencies["@electric-sql/pglite"];
/** Databases made from a migrated template: the default migrations, applied. */
const fromTemplate = (options: CreateOptions = {}) => options.migrate !== false && (options.migrationsDir ?? DEFAULT_MIGRATIONS) === DEFAULT_MIGRATIONS;

async function prepare(db: Database, options: CreateOptions = {}) {
  if (options.migrate !== false) await migrate(db, options.migrationsDir);
}

/**
 * Where test databases live. A PGlite data directory is 40 MB in a thousand files, copied in and removed again for
 * every test server: on disk that took over a second each time (more on a filesystem mounted with `discard`), in
 * memory a few milliseconds. /dev/shm when it has room (Docker gives it only 64 MB), else the temporary directory.
 */
const SCRATCH = scratchRoot();
function scratchRoot(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    const { bavail, bsize } = statfsSync("/dev/shm");
    if (bavail * bsize >= 2 ** 30) return "/dev/shm";
  } catch {
    // no /dev/shm here
  }
  return os.tmpdir();
}
const scratchDir = (prefix: string) => mkdtempSync(path.join(SCRATCH, prefix));

const closeQuietly = (db: Database) => db.close().catch(() => {}); // tests may have closed it already

// PGlite's first start runs initdb (~7 s) and migrating takes seconds more; copying a data directory that has
// both takes well under a second. The templates live in the scratch directory under a name that changes with
// the PGlite version and the migrations, so every test process (and the next run) reuses them.
const embeddedTemplates = new Map<boolean, Promise<string>>();
function embeddedTemplate(migrated: boolean): Promise<string> {
  let template = embeddedTemplates.get(migrated);
  if (!template) {
    template = (async () => {
      const digest = createHash("sha256").update(PGLITE_VERSION);
      if (migrated) for (const m of readMigrations(DEFAULT_MIGRATIONS)) digest.update(`${m.name}:${m.checksum}\n`);
      const dir = path.join(SCRATCH, `ttnid-pglite-template-${migrated ? "migrated" : "empty"}-${digest.digest("hex").slice(0, 16)}`);
      if (existsSync(dir)) return dir;
      // Built aside and renamed into place: a directory under the final name is always complete.
      const dataDir = scratchDir("ttnid-pglite-building-");
      try {
        if (migrated) {
          cpSync(await embeddedTemplate(false), embeddedDir(dataDir), { recursive: true });
          const db = await openDatabase({ dataDir });
          try {
            await migrate(db, DEFAULT_MIGRATIONS);
          } finally {
            await db.close();
          }
        } else {
          const pglite = await PGlite.create(embeddedDir(dataDir));
          await pglite.close();
        }
        renameSync(embeddedDir(dataDir), dir);
      } catch (err) {
        if (!existsSync(dir)) throw err; // another process finished first: use its copy
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
      return dir;
    })();
    embeddedTemplates.set(migrated, template);
  }
  return template;
}

// Starting PGlite costs most of a second, and the main suite starts about a hundred embedded servers. There
// (poolEmbeddedDatabases, from its setup file) migrated test databases are instances kept open in the test
// process: one is bound to a test's data directory (whose files stay empty) and lent to whoever opens that
// directory in this process, its data kept across close and reopen, until the test disposes of the database; then
// it is emptied and bound to the next one. Databases in any other state (empty, other migrations) open real files,
// and so does everything in suites that hand a data directory to another process (a server or CLI they spawn).
interface PooledInstance { pglite: PGlite; dir: string; tables: string; lent: boolean }
let pooling = false;
const bound = new Map<string, PooledInstance>(); // data directory → its instance
const idle: PooledInstance[] = [];
/** Enough for the servers a test runs at once; more would only hold memory (~100 MB each). */
const MAX_IDLE = 3;

export function poolEmbeddedDatabases(): void {
  pooling = true;
  setEmbeddedLenderForTests({
    borrow(dataDir) {
      const instance = bound.get(dataDir);
      if (!instance) return undefined;
      instance.lent = true;
      return instance.pglite;
    },
    giveBack(dataDir, pglite) {
      const instance = bound.get(dataDir);
      if (instance?.pglite === pglite) instance.lent = false;
      else void pglite.close(); // its database was disposed of while open: nobody else will use it
    },
  });
}

const userTables = async (pglite: PGlite) =>
  (await pglite.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.name);

async function takeInstance(): Promise<PooledInstance> {
  const reused = idle.pop();
  if (reused) return reused;
  const dir = path.join(scratchDir("ttnid-pooled-"), "pglite");
  cpSync(await embeddedTemplate(true), dir, { recursive: true });
  const pglite = await createPGlite(dir);
  return { pglite, dir, tables: (await userTables(pglite)).join(), lent: false };
}

/** Empties the instance for the next test, or closes it if the test changed its schema or too many are idle. */
async function returnInstance(instance: PooledInstance): Promise<void> {
  const { pglite } = instance;
  try {
    const tables = await userTables(pglite);
    if (idle.length < MAX_IDLE && tables.join() === instance.tables) {
      const data = tables.filter((t) => t !== "_prisma_migrations").map((t) => `"${t}"`);
      await pglite.exec(`TRUNCATE ${data.join(", ")} RESTART IDENTITY CASCADE; SELECT pg_advisory_unlock_all();`);
      idle.push(instance);
      return;
    }
  } catch {
    // not reusable: closed below
  }
  await pglite.close().catch(() => {});
  rmSync(path.dirname(instance.dir), { recursive: true, force: true });
}

/** A migrated embedded database nobody has open: the DATA_DIR of a test's own server or in-process CLI runs. */
export async function createEmbeddedUnopened(): Promise<UnopenedDatabase> {
  const dataDir = scratchDir("ttnid-test-");
  if (!pooling) {
    cpSync(await embeddedTemplate(true), embeddedDir(dataDir), { recursive: true });
    return { dataDir, async dispose() { rmSync(dataDir, { recursive: true, force: true }); } };
  }
  bound.set(dataDir, await takeInstance());
  return {
    dataDir,
    async dispose() {
      const instance = bound.get(dataDir);
      bound.delete(dataDir);
      // Still open somewhere (disposed of before its server stopped): closed when that server gives it back.
      if (instance && !instance.lent && !instance.pglite.closed) await returnInstance(instance);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createEmbedded(options?: CreateOptions): Promise<TestDatabase> {
  if (pooling && fromTemplate(options)) {
    const database = await createEmbeddedUnopened();
    const db = await openDatabase({ dataDir: database.dataDir });
    return { ...database, db, async dispose() { await closeQuietly(db); await database.dispose(); } };
  }
  const dataDir = scratchDir("ttnid-test-");
  cpSync(await embeddedTemplate(fromTemplate(options)), embeddedDir(dataDir), { recursive: true });
  const db = await openDatabase({ dataDir });
  if (!fromTemplate(options)) await prepare(db, options);
  return {
    db, dataDir,
    async dispose() {
      await closeQuietly(db);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

const urlOf = (adminUrl: string, name: string) => {
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  return target.toString();
};

/**
 * A PostgreSQL database with the current migrations applied, named after their checksums, that CREATE DATABASE
 * … TEMPLATE copies in a fraction of the time migrating takes. Shared by every test process (and left in place
 * for the next run); an advisory lock lets one process build it while the others wait.
 */
let postgresTemplate: Promise<string> | undefined;
function postgresTemplateName(adminUrl: string): Promise<string> {
  postgresTemplate ??= (async () => {
    const digest = createHash("sha256");
    for (const m of readMigrations(DEFAULT_MIGRATIONS)) digest.update(`${m.name}:${m.checksum}\n`);
    const name = `ttnid_template_${digest.digest("hex").slice(0, 16)}`;
    await withAdmin(adminUrl, async (admin) => {
      await admin.query("SELECT pg_advisory_lock(hashtext('ttnid test template'))");
      try {
        // Marked as a template only once migrated: anything else is a build that did not finish.
        const { rows } = await admin.query("SELECT datistemplate FROM pg_database WHERE datname = $1", [name]);
        if (rows[0]?.datistemplate) return;
        if (rows.length) await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${name}"`);
        const dataDir = scratchDir("ttnid-template-");
        const db = await openDatabase({ databaseUrl: urlOf(adminUrl, name), dataDir });
        try {
          await migrate(db, DEFAULT_MIGRATIONS);
        } finally {
          await db.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
        await admin.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      } finally {
        await admin.query("SELECT pg_advisory_unlock(hashtext('ttnid test template'))");
      }
    });
    return name;
  })();
  return postgresTemplate;
}

/** A database copied from the migrated template (or empty, see CreateOptions), not opened. */
async function createPostgresUnopened(adminUrl: string, options?: CreateOptions): Promise<UnopenedDatabase> {
  const name = `ttnid_test_${randomUUID().replace(/-/g, "")}`;
  const template = fromTemplate(options) ? await postgresTemplateName(adminUrl) : undefined;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`));
  const dataDir = scratchDir("ttnid-test-");
  return {
    url: urlOf(adminUrl, name), dataDir,
    async dispose() {
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createPostgres(adminUrl: string, options?: CreateOptions): Promise<TestDatabase> {
  const database = await createPostgresUnopened(adminUrl, options);
  const db = await openDatabase({ databaseUrl: database.url, dataDir: database.dataDir });
  if (!fromTemplate(options)) await prepare(db, options);
  return {
    ...database, db,
    async dispose() {
      await closeQuietly(db);
      await database.dispose();
    },
  };
}
