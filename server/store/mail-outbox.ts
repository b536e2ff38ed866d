// The durable mail outbox: one row per message, delivered by the server's mail worker (server/mail/outbox.ts).
import type { Db } from "./db.js";

export interface OutboxMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutboxRow extends OutboxMessage {
  id: string;
  attempts: number;
  nextAttemptAt: Date;
}

/** Rows that gave up are parked here so they never become due again, whatever the attempt limit becomes. */
const NEVER = new Date("9999-12-31T00:00:00Z");

export async function insertMail(db: Db, message: OutboxMessage): Promise<string> {
  const row = await db.mailOutbox.create({ data: message, select: { id: true } });
  return row.id;
}

const dueWhere = (now: Date, maxAttempts: number) => ({ sentAt: null, attempts: { lt: maxAttempts }, nextAttemptAt: { lte: now } });

export function findDueMail(db: Db, now: Date, maxAttempts: number, take: number): Promise<OutboxRow[]> {
  return db.mailOutbox.findMany({
    where: dueWhere(now, maxAttempts),
    orderBy: [{ nextAttemptAt: "asc" }, { createdAt: "asc" }],
    take,
    select: { id: true, to: true, subject: true, text: true, html: true, attempts: true, nextAttemptAt: true },
  }).then((rows) => rows.map((r) => ({ ...r, html: r.html ?? "" })));
}

export async function countDueMail(db: Db, now: Date, maxAttempts: number): Promise<number> {
  return db.mailOutbox.count({ where: dueWhere(now, maxAttempts) });
}

/**
 * Takes a row for one delivery attempt by pushing its next attempt past `leaseUntil`, conditional on nobody
 * else having taken it since it was read: a second worker (another process on the same database) skips it.
 */
export async function claimMail(db: Db, row: OutboxRow, leaseUntil: Date): Promise<boolean> {
  const { count } = await db.mailOutbox.updateMany({
    where: { id: row.id, sentAt: null, attempts: row.attempts, nextAttemptAt: row.nextAttemptAt },
    data: { nextAttemptAt: leaseUntil },
  });
  return count === 1;
}

/** Sent: the bodies may hold secrets (temporary passwords, login tokens), so they are blanked. */
export async function markMailSent(db: Db, id: string, attempts: number, now: Date): Promise<void> {
  await db.mailOutbox.update({ where: { id }, data: { sentAt: now, attempts, text: "", html: null, lastError: null } });
}

/** A failed attempt: try again at `nextAttemptAt`, or give up (blanking the bodies) when that is null. */
export async function markMailFailed(db: Db, id: string, attempts: number, error: string, nextAttemptAt: Date | null): Promise<void> {
  const lastError = error.slice(0, 1000);
  await db.mailOutbox.update({
    where: { id },
    data: nextAttemptAt ? { attempts, lastError, nextAttemptAt } : { attempts, lastError, nextAttemptAt: NEVER, text: "", html: null },
  });
}

/** When the earliest pending row becomes due, so the worker can sleep exactly that long. */
export async function nextMailDueAt(db: Db, maxAttempts: number): Promise<Date | undefined> {
  const row = await db.mailOutbox.findFirst({
    where: { sentAt: null, attempts: { lt: maxAttempts } },
    orderBy: [{ nextAttemptAt: "asc" }],
    select: { nextAttemptAt: true },
  });
  return row?.nextAttemptAt;
}
