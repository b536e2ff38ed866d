// The durable mail outbox: rows in the database (store/mail-outbox.ts), delivered through a MailTransport
// (transport.ts) with back-off, leases and per-recipient caps.
import { recipientKey, type Quota } from "../auth/rate-limit.js";
import type { Logger } from "../logger.js";
import type { Db } from "../store/db.js";
import {
  claimMail, countDueMail, findDueMail, insertMail, markMailFailed, markMailSent, nextMailDueAt, type OutboxRow,
} from "../store/mail-outbox.js";
import { SEND_TIMEOUT_MS, type MailMessage, type MailTransport } from "./transport.js";

/** The per-recipient caps: mails someone asked for, and notifications, counted apart. */
export interface MailCaps {
  requested: Quota;
  notifications: Quota;
}

/**
 * The timing invariant of delivery: a claimed message is not retried by anyone else for LEASE_MS, so every send
 * must end (succeed, fail or be aborted) well before that, or a second process could send it again while the
 * first is still at it. The transport's SEND_TIMEOUT_MS < LEASE_MS is that bound, enforced by aborting the send
 * whatever the mail server does.
 */
const LEASE_MS = 2 * 60_000;

export interface MailRetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  pollIntervalMs: number;
}

const BATCH = 20;

/** Whether `work` settled within `ms` (a rejection counts as settled); the timer is cleared either way. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The durable outbox: `enqueue` writes a row, inside the caller's transaction when given one,
 * and a worker in this process delivers due rows with exponential back-off. An RPC never waits for (or fails
 * because of) the mail server, and mail still pending at shutdown goes out after the next start.
 * Message content is never logged.
 */
export class MailOutbox {
  private writes = new Set<Promise<unknown>>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  /** Aborted by `stop` when sends outlast its timeout. */
  private sends = new AbortController();

  constructor(
    private readonly db: Db,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    private readonly retry: MailRetryPolicy,
    /** E-mails per recipient address and window (MAIL_RATE_LIMIT_*), by kind of mail; none counts nothing. */
    private readonly caps?: MailCaps,
  ) {}

  /**
   * Counts one mail to `message.to`. A mail the call exists to send (a temporary password, a login token, an
   * invitation) fails the call when over the cap, before anything is stored, so nothing waits for a mail that
   * never comes and the caller is told when to retry. A notification (it reports an action that happened) is
   * left out and logged instead, so nobody can stop someone else's actions by flooding their inbox; it counts
   * apart, so floods of notifications never use up the allowance of mails someone asked for.
   * Returns false when the mail is to be dropped.
   */
  private async withinCap(template: string, message: MailMessage, notification: boolean): Promise<boolean> {
    const quota = notification ? this.caps?.notifications : this.caps?.requested;
    if (!quota) return true;
    const retryAfterMs = await quota.take(recipientKey(message.to));
    if (retryAfterMs === undefined) return true;
    if (!notification) throw quota.error(retryAfterMs);
    this.logger.warn({ template, to: message.to }, "notification mail not sent: too many mails to this address");
    return false;
  }

  /**
   * Stores one message for delivery. With `tx` the row commits or rolls back with the caller's work (await it);
   * without, the write is tracked and its failure logged, so callers may also fire and forget.
   */
  enqueue(template: string, message: MailMessage, tx?: Db, options: { notification?: boolean } = {}): Promise<void> {
    const notification = options.notification ?? false;
    if (tx) {
      return this.withinCap(template, message, notification).then((send) => send ? insertMail(tx, message) : undefined).then((id) => {
        if (id === undefined) return;
        this.logger.debug({ template, mail_id: id }, "mail queued");
        // The row is visible once the caller commits; look shortly after, the poll catches anything later.
        setTimeout(() => this.kick(), 100).unref();
      });
    }
    const write: Promise<void> = this.withinCap(template, message, true).then((send) => send ? insertMail(this.db, message) : undefined).then(
      (id) => {
        if (id === undefined) return;
        this.logger.debug({ template, mail_id: id }, "mail queued");
        this.kick();
      },
      (err) => this.logger.error({ template, to: message.to, error: (err as Error).message }, "mail could not be queued"),
    );
    const tracked = write.finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
    return tracked;
  }

  start(): void {
    this.stopped = false;
    if (this.sends.signal.aborted) this.sends = new AbortController();
    this.schedule(0);
  }

  /** Mails still to be sent (not sent, attempts left), e.g. for metrics. */
  queueDepth(): Promise<number> {
    return this.db.mailOutbox.count({ where: { sentAt: null, attempts: { lt: this.retry.attempts } } });
  }

  /**
   * Stops the worker: no new delivery starts, and those in progress get `timeoutMs` to finish before they are
   * aborted (a mail server that accepts the connection and then says nothing must not hold up shutdown).
   * An aborted message is released for the next start, or another process, without counting as an attempt.
   * Returns within about `timeoutMs` + 1 s whatever the mail server and the database do.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const idle = (async () => {
      await Promise.allSettled([...this.writes]);
      await this.running;
    })();
    if (await settlesWithin(idle, timeoutMs)) return;
    this.logger.warn({ timeoutMs }, "mail delivery still in progress at shutdown, aborting it");
    this.sends.abort(new Error("mail outbox stopped"));
    await settlesWithin(idle, 1_000); // recording the aborted attempts
  }

  /** Look for due mail now (after an enqueue). */
  kick(): void {
    if (this.stopped) return;
    void this.pass();
  }

  /**
   * Waits until no queued message is due (sent, or waiting for a later retry) or the timeout passed, also
   * while a send hangs: what is still in progress then is left to `stop`.
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const work = (async () => {
      for (;;) {
        await Promise.allSettled([...this.writes]);
        await this.pass();
        if (!this.writes.size && (await countDueMail(this.db, new Date(), this.retry.attempts)) === 0) return;
        if (Date.now() >= deadline) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    try {
      await Promise.race([work, timeout]); // a database error still rejects
    } finally {
      clearTimeout(timer);
    }
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pass(), ms);
    this.timer.unref();
  }

  /** One worker pass at a time; a kick during a pass makes it look again before sleeping. */
  private pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let wake = this.retry.pollIntervalMs;
      try {
        do {
          this.again = false;
          await this.deliverDue();
        } while (this.again);
        const next = await nextMailDueAt(this.db, this.retry.attempts);
        if (next) wake = Math.max(0, Math.min(wake, next.getTime() - Date.now()));
      } catch (err) {
        this.logger.error({ error: (err as Error).message }, "mail worker pass failed");
      } finally {
        this.running = undefined;
        this.schedule(wake);
      }
    })();
    return this.running;
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return; // `stop` waits for this pass; the rest is for the next start
      const now = new Date();
      const rows = await findDueMail(this.db, now, this.retry.attempts, BATCH);
      if (!rows.length) return;
      await Promise.all(rows.map((row) => this.deliver(row, now)));
    }
  }

  private async deliver(row: OutboxRow, now: Date): Promise<void> {
    if (this.stopped || !(await claimMail(this.db, row, new Date(now.getTime() + LEASE_MS)))) return;
    const attempts = row.attempts + 1;
    const stopping = this.sends.signal;
    const send = new AbortController();
    const abort = () => send.abort(stopping.reason);
    stopping.addEventListener("abort", abort, { once: true });
    const deadline = setTimeout(() => send.abort(new Error(`mail server did not finish within ${SEND_TIMEOUT_MS / 1000} s`)), SEND_TIMEOUT_MS);
    try {
      await this.transport({ to: row.to, subject: row.subject, text: row.text, html: row.html }, send.signal);
    } catch (err) {
      const error = send.signal.aborted ? (send.signal.reason as Error).message : (err as Error).message ?? String(err);
      if (stopping.aborted) {
        // Cut short by shutdown, not the mail server's fault: due again at once, the attempt not counted.
        this.logger.warn({ mail_id: row.id, to: row.to, attempt: attempts }, "mail delivery interrupted by shutdown");
        await markMailFailed(this.db, row.id, row.attempts, "interrupted by shutdown", new Date());
        return;
      }
      if (attempts >= this.retry.attempts) {
        this.logger.error({ mail_id: row.id, to: row.to, attempt: attempts, error }, "mail delivery failed, giving up");
        await markMailFailed(this.db, row.id, attempts, error, null);
        return;
      }
      const delay = Math.min(this.retry.backoffMs * 2 ** (attempts - 1), this.retry.maxBackoffMs);
      this.logger.warn({ mail_id: row.id, to: row.to, attempt: attempts, error }, "mail delivery failed, retrying");
      await markMailFailed(this.db, row.id, attempts, error, new Date(Date.now() + delay));
      return;
    } finally {
      clearTimeout(deadline);
      stopping.removeEventListener("abort", abort);
    }
    await markMailSent(this.db, row.id, attempts, new Date());
    this.logger.info({ mail_id: row.id, to: row.to, attempt: attempts }, "mail sent");
  }
}

/** The name services know the outbox by. */
export type MailQueue = MailOutbox;
