import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import nodemailer from "nodemailer";
import type { Logger } from "../logger.js";
import type { Db } from "../store/db.js";
import {
  claimMail, countDueMail, findDueMail, insertMail, markMailFailed, markMailSent, nextMailDueAt, type OutboxRow,
} from "../store/mail-outbox.js";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Delivers one message or throws; retries are the outbox's job. */
export type MailTransport = (message: MailMessage) => Promise<void>;

/** SMTP when a URL is configured (e.g. smtp://user:pass@host:587), else `.eml` files for development. */
export function createMailTransport(options: { smtpUrl?: string; from: string; dataDir: string }): MailTransport {
  if (options.smtpUrl) {
    const smtp = nodemailer.createTransport(options.smtpUrl);
    return async (message) => { await smtp.sendMail({ from: options.from, ...message }); };
  }
  const render = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  const dir = path.join(options.dataDir, "mail");
  return async (message) => {
    const { message: eml } = await render.sendMail({ from: options.from, ...message });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${Date.now()}-${randomUUID()}.eml`), eml as Buffer, { mode: 0o600 });
  };
}

export interface MailRetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  pollIntervalMs: number;
}

/** A claimed row is not retried by anyone else for this long, even if this process dies while sending. */
const LEASE_MS = 2 * 60_000;
const BATCH = 20;

/**
 * The durable outbox (spec D.4 [R]): `enqueue` writes a row, inside the caller's transaction when given one,
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

  constructor(
    private readonly db: Db,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    private readonly retry: MailRetryPolicy,
  ) {}

  /**
   * Stores one message for delivery. With `tx` the row commits or rolls back with the caller's work (await it);
   * without, the write is tracked and its failure logged, so callers may also fire and forget.
   */
  enqueue(template: string, message: MailMessage, tx?: Db): Promise<void> {
    if (tx) {
      return insertMail(tx, message).then((id) => {
        this.logger.debug({ template, mail_id: id }, "mail queued");
        // The row is visible once the caller commits; look shortly after, the poll catches anything later.
        setTimeout(() => this.kick(), 100).unref();
      });
    }
    const write: Promise<void> = insertMail(this.db, message).then(
      (id) => {
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
    this.schedule(0);
  }

  /** Stops the worker after the delivery in progress; undelivered rows stay for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.writes]);
    await this.running;
  }

  /** Look for due mail now (after an enqueue). */
  kick(): void {
    if (this.stopped) return;
    void this.pass();
  }

  /** Waits until no queued message is due (sent, or waiting for a later retry) or the timeout passed. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await Promise.allSettled([...this.writes]);
      await this.pass();
      if (!this.writes.size && (await countDueMail(this.db, new Date(), this.retry.attempts)) === 0) return;
      if (Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 20));
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
      const now = new Date();
      const rows = await findDueMail(this.db, now, this.retry.attempts, BATCH);
      if (!rows.length) return;
      await Promise.all(rows.map((row) => this.deliver(row, now)));
    }
  }

  private async deliver(row: OutboxRow, now: Date): Promise<void> {
    if (!(await claimMail(this.db, row, new Date(now.getTime() + LEASE_MS)))) return;
    const attempts = row.attempts + 1;
    try {
      await this.transport({ to: row.to, subject: row.subject, text: row.text, html: row.html });
    } catch (err) {
      const error = (err as Error).message ?? String(err);
      if (attempts >= this.retry.attempts) {
        this.logger.error({ mail_id: row.id, to: row.to, attempt: attempts, error }, "mail delivery failed, giving up");
        await markMailFailed(this.db, row.id, attempts, error, null);
        return;
      }
      const delay = Math.min(this.retry.backoffMs * 2 ** (attempts - 1), this.retry.maxBackoffMs);
      this.logger.warn({ mail_id: row.id, to: row.to, attempt: attempts, error }, "mail delivery failed, retrying");
      await markMailFailed(this.db, row.id, attempts, error, new Date(Date.now() + delay));
      return;
    }
    await markMailSent(this.db, row.id, attempts, new Date());
    this.logger.info({ mail_id: row.id, to: row.to, attempt: attempts }, "mail sent");
  }
}

/** The name services know the outbox by. */
export type MailQueue = MailOutbox;
