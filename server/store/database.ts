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

export type SqlResult = { rows: any[] };
export type Sql = (query: string, params?: unknown[]) => Promise<SqlResult>;

/** Raw access on one connection inside one transaction (see Database.sqlTransaction). */
export interface SqlTransaction {
  sql: Sql;
  /** Runs a multi-statement script unsplit (simple query protocol), e.g. a whole migration.sql. */
  script(sql: string): Promise<void>;
}

export interface Database {
  prisma: PrismaClient;
  kind: "postgres" | "embedded";
  /** Raw SQL outside Prisma (migrations, locks, diagnostics). On the embedded backend this shares Prisma's
   *  single connection: never call it while awaiting inside a Prisma interactive transaction. */
  sql: Sql;
  /** Runs `fn` in BEGIN … COMMIT on one dedicated connection; rolls back if it throws. */
  sqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgresql://… selects PostgreSQL; absent selects embedded PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openEmbedded(options.dataDir);
}

/** Where the embedded database lives inside DATA_DIR. */
export const embeddedDir = (dataDir: string) => path.join(dataDir, "pglite");

async function openPostgres(url: string): Promise<Database> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL must start with postgresql://");
  // One pool shared by Prisma and raw access, so both honour the same connection limit.
  const pool = new pg.Pool({ connectionString: url });
  pool.on("error", () => {}); // an idle client dropped by the server must not crash the process
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind: "postgres",
    sql: (query, params) => pool.query(query, params as any[]),
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
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const dir = embeddedDir(dataDir);
  mkdirSync(dir, { recursive: true }); // PGlite does not create parent directories
  const unlock = lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    // Extensions that migrations create must be bundled here: PGlite cannot load them from disk.
    pglite = await PGlite.create(dir, { extensions: { pg_trgm } });
  } catch (err) {
    unlock();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    kind: "embedded",
    sql: (query, params) => pglite.query(query, params as any[]),
    sqlTransaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          sql: (query, params) => tx.query(query, params as any[]),
          script: async (sql) => { await tx.exec(sql); },
        }),
      ),
    async close() {
      await prisma.$disconnect();
      await pglite.close(); // the adapter's dispose() is a no-op; an open PGlite keeps the process alive
      unlock();
    },
  };
}
