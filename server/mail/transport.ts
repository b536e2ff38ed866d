// Sending one message: SMTP when a URL is configured, else `.eml` files for development. Retries, leases and
// caps are the outbox's (outbox.ts).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import nodemailer from "nodemailer";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Delivers one message or throws; retries are the outbox's job. When `signal` aborts, a send in progress stops. */
export type MailTransport = (message: MailMessage, signal?: AbortSignal) => Promise<void>;

/**
 * How long one send may take before the outbox aborts it (outbox.ts keeps it below its lease). nodemailer's own
 * limits end the usual stalls sooner, with a precise error: connecting, the greeting, and silence on an open
 * connection (its defaults of 2 min, 30 s and 10 min would outlast the lease).
 *   SMTP_TIMEOUTS.connectionTimeout, .greetingTimeout, .socketTimeout <= SEND_TIMEOUT_MS
 */
export const SEND_TIMEOUT_MS = 90_000;
const SMTP_TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 } as const;

/** SMTP when a URL is configured (e.g. smtp://user:pass@host:587), else `.eml` files under DATA_DIR/mail. */
export function createMailTransport(options: { smtpUrl?: string; from: string; dataDir: string }): MailTransport {
  if (options.smtpUrl) {
    const smtp = nodemailer.createTransport({ url: options.smtpUrl, ...SMTP_TIMEOUTS });
    return async (message, signal) => { await smtp.sendMail({ from: options.from, ...message, signal }); };
  }
  const render = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  const dir = path.join(options.dataDir, "mail");
  return async (message) => {
    const { message: eml } = await render.sendMail({ from: options.from, ...message });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${Date.now()}-${randomUUID()}.eml`), eml as Buffer, { mode: 0o600 });
  };
}
