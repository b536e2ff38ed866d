// Shutdown while a mail server hangs: a server that accepts the connection and then never says a
// word must not hold up drain() or stop() beyond their bounds; the stuck send is aborted, its connection
// closed, and the message released for the next start without counting as an attempt.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/logger.js";
import { MailOutbox } from "../../server/mail/outbox.js";
import { createMailTransport, type MailMessage } from "../../server/mail/transport.js";
import { databaseBackends, type TestDatabase } from "../support/databases.js";

/** A TCP server on 127.0.0.1 that accepts connections and never sends the SMTP greeting. */
async function startSilentSmtp() {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() { return accepted; },
    get open() { return sockets.size; },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const retry = { attempts: 3, backoffMs: 60_000, maxBackoffMs: 60_000, pollIntervalMs: 1_000 };
const message: MailMessage = { to: "stuck@example.com", subject: "Hello", text: "Hello", html: "<p>Hello</p>" };

for (const backend of databaseBackends()) {
  describe(`mail outbox shutdown on ${backend.name}`, () => {
    let smtp: Awaited<ReturnType<typeof startSilentSmtp>>;
    let database: TestDatabase;

    beforeAll(async () => {
      smtp = await startSilentSmtp();
      database = await backend.create();
    });
    afterAll(async () => {
      await smtp?.close();
      await database?.dispose();
    });

    it("drain and stop return within their bounds while the SMTP server never answers", { timeout: 15_000 }, async () => {
      const db = database.db.prisma;
      const transport = createMailTransport({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: "TTS <noreply@example.com>", dataDir: database.dataDir });
      const outbox = new MailOutbox(db, transport, createLogger("silent"), retry);
      outbox.start();
      await outbox.enqueue("test", message);
      await expect.poll(() => smtp.accepted, { timeout: 5_000 }).toBe(1);

      // The silent server would hold an unbounded drain or stop past this test's timeout (nodemailer waits
      // 30 s for a greeting): returning at all is the bound.
      await outbox.drain(300);
      await outbox.stop(300);

      // The send was aborted: its connection is closed and the row is due again, the attempt not counted.
      await expect.poll(() => smtp.open, { timeout: 2_000 }).toBe(0);
      const [row] = await db.mailOutbox.findMany({ where: { to: message.to } });
      expect(row).toMatchObject({ attempts: 0, sentAt: null, lastError: "interrupted by shutdown" });
      expect(row!.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());

      // The next start delivers it.
      const sent: MailMessage[] = [];
      const next = new MailOutbox(db, async (m) => { sent.push(m); }, createLogger("silent"), retry);
      next.start();
      await next.drain(5_000);
      await next.stop();
      expect(sent).toEqual([message]);
      expect(await db.mailOutbox.findFirst({ where: { to: message.to } })).toMatchObject({ attempts: 1, lastError: null });
      expect(smtp.accepted).toBe(1);
    });
  });
}
