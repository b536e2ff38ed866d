// Deletes what has expired (sessions, login tokens, invitations, single sign-on logins, e-mail validation
// tokens) and forgets expired temporary passwords, on a timer in every instance. Each pass runs under a
// transaction-scoped advisory lock taken with try-lock: with N instances, a pass that finds another one at work
// skips, so each expired row is deleted by exactly one pass. Expired records stay visible (sessions are listed
// with their expiry, as upstream does) for a retention period first. Time comes from the service clock.
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { Periodic } from "./periodic.js";

/** Arbitrary constant shared by every instance ("ttncl" in ASCII); differs from the migration lock. */
export const CLEANUP_LOCK_KEY = 0x74_746e_636c;

/** Statements of one pass; `$1` is the cut-off (now minus retention). */
const STATEMENTS: Record<string, string> = {
  sessions: `DELETE FROM "user_sessions" WHERE "expires_at" < $1`,
  login_tokens: `DELETE FROM "login_tokens" WHERE "expires_at" < $1`,
  invitations: `DELETE FROM "invitations" WHERE "accepted_at" IS NULL AND "expires_at" < $1`,
  sso_logins: `DELETE FROM "sso_logins" WHERE "expires_at" < $1`,
  sso_pending_links: `DELETE FROM "sso_pending_links" WHERE "expires_at" < $1`,
  email_validations: `DELETE FROM "email_validations" WHERE "expires_at" < $1`,
  temporary_passwords: `UPDATE "users" SET "temporary_password_hash" = NULL
    WHERE "temporary_password_hash" IS NOT NULL AND "temporary_password_expires_at" < $1`,
};

/** What one pass did: rows per kind, or `skipped` when another instance held the lock. */
export type CleanupResult = { skipped: true } | { skipped: false; removed: Record<string, number> };

export class ExpiryCleanup {
  private readonly timer: Periodic;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; retentionMs: number },
  ) {
    this.timer = new Periodic(options.intervalMs, () => this.runOnce().then(
      (result) => {
        if (!result.skipped && Object.values(result.removed).some((n) => n > 0)) this.logger.info({ removed: result.removed }, "expired records removed");
      },
      (err) => this.logger.warn({ error: (err as Error).message }, "expiry clean-up failed; trying again next interval"),
    ));
  }

  /** One pass now. Safe to call from several instances at once. */
  async runOnce(): Promise<CleanupResult> {
    const cutoff = new Date(this.clock.now().getTime() - this.options.retentionMs);
    return this.database.sqlTransaction(async (tx) => {
      const { rows } = await tx.sql("SELECT pg_try_advisory_xact_lock($1) AS locked", [CLEANUP_LOCK_KEY]);
      if (!rows[0]?.locked) return { skipped: true } as const;
      const removed: Record<string, number> = {};
      for (const [kind, statement] of Object.entries(STATEMENTS)) {
        const result = (await tx.sql(statement, [cutoff])) as { rows: unknown[]; affectedRows?: number; rowCount?: number | null };
        removed[kind] = result.rowCount ?? result.affectedRows ?? 0;
      }
      return { skipped: false, removed } as const;
    });
  }

  /** Runs a pass every interval (the first one interval after start), until `stop`. */
  start(): void {
    this.timer.start();
  }

  stop(): Promise<void> {
    return this.timer.stop();
  }
}
