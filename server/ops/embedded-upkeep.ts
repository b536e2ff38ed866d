// What PostgreSQL's autovacuum does, for the embedded database: PGlite runs no autovacuum, so without this its
// tables were never analysed (the planner guessed selectivities: a SearchUsers call at 100,000 users took 29 ms
// instead of 16, and its estimated totals were off) and never vacuumed (updated and deleted rows kept their
// space, and index-only scans could not skip the table). Every interval, a table changed enough since its last
// ANALYZE gets one and a table with enough dead rows a VACUUM, at autovacuum's default thresholds. PGlite has one
// connection, so other statements wait while one runs: a table reaching a threshold again takes as many changes
// as a tenth (ANALYZE) or a fifth (VACUUM) of its rows.
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { Periodic } from "./periodic.js";

/** autovacuum_analyze_threshold / _scale_factor and autovacuum_vacuum_threshold / _scale_factor, as PostgreSQL ships them. */
const ANALYZE = { rows: 50, share: 0.1 };
const VACUUM = { rows: 50, share: 0.2 };

const DUE = `SELECT quote_ident(s.relname) AS "table", s.n_mod_since_analyze AS "changed", s.n_dead_tup AS "dead",
  greatest(c.reltuples, 0) AS "rows"
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = current_schema()`;

export interface UpkeepResult {
  analyzed: string[];
  vacuumed: string[];
}

export class EmbeddedUpkeep {
  private readonly timer: Periodic;

  constructor(
    private readonly database: Database,
    logger: Logger,
    intervalMs = 60_000,
  ) {
    this.timer = new Periodic(intervalMs, () => {
      const started = performance.now();
      return this.runOnce().then(
        (result) => {
          if (result.analyzed.length || result.vacuumed.length) logger.info({ ...result, ms: Math.round(performance.now() - started) }, "embedded database upkeep");
        },
        (err) => logger.warn({ error: (err as Error).message }, "embedded database upkeep failed; trying again next interval"),
      );
    });
  }

  /** One pass now: the tables past a threshold, analysed or vacuumed (VACUUM ANALYZE when past both). */
  async runOnce(): Promise<UpkeepResult> {
    const { rows } = await this.database.sql(DUE);
    const result: UpkeepResult = { analyzed: [], vacuumed: [] };
    for (const t of rows as { table: string; changed: string; dead: string; rows: number }[]) {
      const analyze = Number(t.changed) > ANALYZE.rows + ANALYZE.share * t.rows;
      const vacuum = Number(t.dead) > VACUUM.rows + VACUUM.share * t.rows;
      if (!analyze && !vacuum) continue;
      await this.database.sql(vacuum ? `VACUUM${analyze ? " ANALYZE" : ""} ${t.table}` : `ANALYZE ${t.table}`);
      if (analyze) result.analyzed.push(t.table);
      if (vacuum) result.vacuumed.push(t.table);
    }
    return result;
  }

  /** Runs a pass every interval (the first one interval after start), until `stop`. */
  start(): void {
    this.timer.start();
  }

  stop(): Promise<void> {
    return this.timer.stop();
  }
}
