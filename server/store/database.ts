// Opens the service's database: PostgreSQL when a URL is configured, otherwise embedded PGlite on disk.
// Both run the same schema and migrations, so everything above this module is backend-agnostic.
import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../../prisma/generated/client.js";
import { lockDataDir } from "./data-dir-lock.js";
import { ChangeCache } from "./change-cache.js";
import { registerRawAccess } from "./db.js";

export type SqlResult = { rows: any[] };
/** `name` makes it a prepared statement on PostgreSQL (parsed and planned once per connection): hot reads only. */
export type Sql = (query: string, params?: unknown[], name?: string) => Promise<SqlResult>;

/** Raw access on one connection inside one transaction (see Database.sqlTransaction). */
export interface SqlTransaction {
  sql: Sql;
  /** Runs a multi-statement script unsplit (simple query protocol), e.g. a whole migration.sql. */
  script(sql: string): Promise<void>;
}

/** The channel the database announces credential changes on (migration credential_change_notices). */
const CREDENTIAL_CHANGES = "credential_changes";

/**
 * Committed changes that may narrow a credential, as the database announces them: `k:<api key id>`,
 * `s:<session id>`, `u:<user uuid>`, or `*` when announcements may have been missed (the listening connection
 * dropped). Every change is seen, whichever instance or code path made it.
 */
export interface ChangeFeed {
  onChange(listener: (payload: string) => void): void;
  /** False while announcements could be missed (PostgreSQL listener reconnecting): caches must not answer then. */
  readonly live: boolean;
}

export interface Database {
  prisma: PrismaClient;
  kind: "postgres" | "embedded";
  changes: ChangeFeed;
  /** Raw SQL outside Prisma (migrations, locks, diagnostics). On the embedded backend this shares Prisma's
   *  single connection: never call it while awaiting inside a Prisma interactive transaction. */
  sql: Sql;
  /** Runs `fn` in BEGIN … COMMIT on one dedicated connection; rolls back if it throws. */
  sqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** The connection pool's state (PostgreSQL only; the embedded database has one connection). */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgresql://… selects PostgreSQL; absent selects embedded PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = await (options.databaseUrl ? openPostgres(options.databaseUrl) : openEmbedded(options.dataDir));
  registerRawAccess(database.prisma, { sql: database.sql, userRows: new ChangeCache(database.changes) });
  return database;
}

/** Where the embedded database lives inside DATA_DIR. */
export const embeddedDir = (dataDir: string) => path.join(dataDir, "pglite");

async function openPostgres(url: string): Promise<Database> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL must start with postgresql://");
  // One pool shared by Prisma and raw access, so both honour the same connection limit.
  const changes = postgresChangeFeed(url);
  // Every pooled connection listens too (see postgresChangeFeed), before anyone borrows it.
  const pool = new pg.Pool({ connectionString: url, onConnect: changes.attach } as pg.PoolConfig);
  pool.on("error", () => {}); // an idle client dropped by the server must not crash the process
  await changes.start();
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind: "postgres",
    changes,
    sql: (query, params, name) => (name ? pool.query({ name, text: query, values: params as any[] }) : pool.query(query, params as any[])),
    async sqlTransaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          sql: (query, params) => client.query(query, params as any[]),
          script: async (sql) => { await client.query(sql); }, // no params → simple protocol, whole script
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await changes.close();
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** PGlite on the files in `dir`, with the settings this service runs it with (created there when absent). */
export function createPGlite(dir: string): Promise<PGlite> {
  // Extensions that migrations create must be bundled here: PGlite cannot load them from disk.
  // PostgreSQL's default 128 MB of shared buffers would all be resident in the WebAssembly heap, making the
  // process three times its size; 32 MB still holds a sizeable user table, and the OS caches the files anyway.
  return PGlite.create(dir, { extensions: { pg_trgm }, postgresqlconf: ["shared_buffers=32MB"] });
}

/**
 * For tests only: hands out already open PGlite instances for some data directories (starting PGlite costs most
 * of a second, and a suite starts a hundred embedded servers). `borrow` answers undefined for directories it does
 * not serve; an instance it lent is given back with `giveBack` when the database closes, instead of closed.
 */
export interface EmbeddedLender {
  borrow(dataDir: string): PGlite | undefined;
  giveBack(dataDir: string, pglite: PGlite): void;
}
let lender: EmbeddedLender | undefined;
export function setEmbeddedLenderForTests(value: EmbeddedLender | undefined): void {
  lender = value;
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const dir = embeddedDir(dataDir);
  mkdirSync(dir, { recursive: true }); // PGlite does not create parent directories
  const unlock = lockDataDir(dataDir);
  const lent = lender?.borrow(dataDir);
  let pglite: PGlite;
  try {
    pglite = lent ?? (await createPGlite(dir));
  } catch (err) {
    unlock();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  // One process owns the embedded database, and PGlite hands over a statement's announcements before the
  // statement (or the COMMIT) returns: a change is seen here before the call that made it answers.
  const listeners = new Set<(payload: string) => void>();
  const unlisten = await pglite.listen(CREDENTIAL_CHANGES, (payload) => { for (const listener of listeners) listener(payload); });
  let closed = false;
  return {
    prisma,
    kind: "embedded",
    changes: { live: true, onChange: (listener) => { listeners.add(listener); } },
    sql: (query, params) => pglite.query(query, params as any[]),
    sqlTransaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          sql: (query, params) => tx.query(query, params as any[]),
          script: async (sql) => { await tx.exec(sql); },
        }),
      ),
    async close() {
      if (closed) return; // a lent instance must be given back once: it may be lent to someone else next
      closed = true;
      await prisma.$disconnect();
      if (lent) {
        await unlisten();
        lender?.giveBack(dataDir, lent);
      } else {
        await pglite.close(); // the adapter's dispose() is a no-op; an open PGlite keeps the process alive
      }
      unlock();
    },
  };
}

/** How long to wait before listening again after the listening connection dropped. */
const RELISTEN_DELAY_MS = 500;
/** How often the listening connection must prove it is alive, and how long it has to answer. */
const HEARTBEAT_MS = 500;
const HEARTBEAT_DEADLINE_MS = 1_000;

/**
 * Announcements on PostgreSQL. A dedicated connection listens for other instances' changes, and so does every
 * pooled connection: PostgreSQL delivers a session's own announcements before its COMMIT returns, so a change made
 * through this instance is seen here before the call that made it answers, without waiting on another connection.
 */
function postgresChangeFeed(url: string): ChangeFeed & { attach(client: pg.ClientBase): Promise<void>; start(): Promise<void>; close(): Promise<void> } {
  const listeners = new Set<(payload: string) => void>();
  const emit = (payload: string) => { for (const listener of listeners) listener(payload); };
  const onNotification = (n: pg.Notification) => { if (n.channel === CREDENTIAL_CHANGES) emit(n.payload ?? "*"); };

  let live = false;
  let closed = false;
  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const lost = (client: pg.Client) => {
    if (listener !== client) return;
    listener = undefined;
    live = false;
    emit("*"); // whatever was cached may have changed unseen
    if (!closed) retry = setTimeout(connect, RELISTEN_DELAY_MS).unref();
  };
  async function connect(): Promise<void> {
    const client = new pg.Client({ connectionString: url, keepAlive: true });
    client.on("error", () => lost(client));
    client.on("end", () => lost(client));
    client.on("notification", onNotification);
    listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CREDENTIAL_CHANGES}`);
    } catch {
      client.end().catch(() => {});
      lost(client);
      return;
    }
    if (closed) return void client.end().catch(() => {});
    emit("*"); // changes made while nobody listened
    live = true;
    heartbeat(client);
  }
  // A connection can also hang without an error (a network partition): it must answer within a second, or it
  // counts as lost, so no cache serves for long what it might not have heard about.
  function heartbeat(client: pg.Client): void {
    const timer = setInterval(() => {
      if (listener !== client) return clearInterval(timer);
      const late = setTimeout(() => { clearInterval(timer); lost(client); client.end().catch(() => {}); }, HEARTBEAT_DEADLINE_MS);
      late.unref();
      client.query("SELECT 1").then(() => clearTimeout(late), () => clearTimeout(late));
    }, HEARTBEAT_MS);
    timer.unref();
  }
  return {
    get live() { return live; },
    async attach(client) {
      client.on("notification", onNotification);
      await client.query(`LISTEN ${CREDENTIAL_CHANGES}`);
    },
    start: connect,
    onChange: (fn) => { listeners.add(fn); },
    async close() {
      closed = true;
      clearTimeout(retry);
      live = false;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => {});
    },
  };
}
