// E-mail through a real SMTP server on loopback: what arrives has a text and an HTML part with
// links under PUBLIC_URL, and a mail server that refuses for a while delays the mail, never the RPC.
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";

const PASSWORD = "Secret-Passw0rd";
const PUBLIC_URL = "https://tts.example.com";

interface Received { to: string[]; subject: string; toHeader: string; text: string; html: string }

/** Just enough MIME for what nodemailer writes: headers, multipart/alternative, quoted-printable or base64. */
function parseMail(raw: string): { headers: Map<string, string>; parts: Map<string, string> } {
  const split = (s: string) => {
    const at = s.indexOf("\r\n\r\n");
    const head = s.slice(0, at).replace(/\r\n[ \t]+/g, " ");
    const headers = new Map<string, string>();
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    return { headers, body: s.slice(at + 4) };
  };
  const decode = (body: string, encoding = "7bit") => {
    if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    if (encoding === "quoted-printable") {
      const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h: string) => `%${h}`);
      return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, "%25"));
    }
    return body;
  };
  const { headers, body } = split(raw);
  const parts = new Map<string, string>();
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get("content-type") ?? "")?.[1];
  if (!boundary) {
    parts.set((headers.get("content-type") ?? "text/plain").split(";")[0]!, decode(body, headers.get("content-transfer-encoding")));
    return { headers, parts };
  }
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith("--")) break;
    const part = split(chunk.replace(/^\r\n/, ""));
    parts.set(part.headers.get("content-type")!.split(";")[0]!, decode(part.body.replace(/\r\n$/, ""), part.headers.get("content-transfer-encoding")));
  }
  return { headers, parts };
}

/** An SMTP server on 127.0.0.1 that keeps what it receives and can refuse the next few recipients. */
async function startSmtp() {
  const received: Received[] = [];
  const state = { refuse: 0, refusedTo: [] as string[] };
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (state.refuse > 0) {
        state.refuse--;
        state.refusedTo.push(address.address);
        return callback(Object.assign(new Error("mailbox busy, try later"), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const { headers, parts } = parseMail(Buffer.concat(chunks).toString("utf8"));
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          toHeader: headers.get("to") ?? "",
          subject: headers.get("subject") ?? "",
          text: parts.get("text/plain") ?? "",
          html: parts.get("text/html") ?? "",
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return { received, state, port, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

for (const backend of databaseBackends()) {
  describe(`mail over SMTP on ${backend.name}`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let server: TestServer;
    const mailTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

    /** A server mailing through `smtp`; the backoff leaves a test time to see a retry before the last attempt. */
    const startMailingServer = (backoff = "200ms") => startTestServer(backend, {
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, PUBLIC_URL, MAIL_FROM: "TTS <noreply@tts.example.com>",
      LOGIN_TOKENS_ENABLED: "true", MAIL_RETRY_BACKOFF: backoff, MAIL_RETRY_ATTEMPTS: "5", ADMIN_RIGHTS_ALL: "true",
    }, { captureMail: false });

    beforeAll(async () => {
      smtp = await startSmtp();
      server = await startMailingServer();
    });
    afterAll(async () => {
      await server?.close();
      await smtp?.close();
    });

    let seq = 0;
    async function newUser(on = server): Promise<string> {
      const userId = `mail-user-${++seq}`;
      // Created by the admin with a confirmed address: no address confirmation mail mixes with the mail under test.
      await on.client(UserRegistry, "connect", on.adminKey).create({
        user: {
          ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: PASSWORD, name: `Mail User ${seq}`,
          state: State.APPROVED, primaryEmailAddressValidatedAt: timestampNow(),
        },
      });
      return userId;
    }

    it("delivers the temporary password with text and HTML parts and a link under PUBLIC_URL", async () => {
      const userId = await newUser();
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      await expect.poll(() => mailTo(`${userId}@example.com`).length, { timeout: 5000 }).toBe(1);
      const [mail] = mailTo(`${userId}@example.com`);
      expect(mail!.subject).toBe("Your temporary password for The Things Stack");
      expect(mail!.toHeader).toContain(`${userId}@example.com`);
      const secret = /Temporary password: ([A-Z2-7]+)/.exec(mail!.text)![1]!;
      expect(mail!.text).toContain(`${PUBLIC_URL}/oauth/update-password?user=${userId}&current=${secret}`);
      expect(mail!.html).toContain(`href="${PUBLIC_URL}/oauth/update-password?user=${userId}&amp;current=${secret}"`);
      expect(mail!.html).toContain("Dear Mail User");

      // Once sent, the secret is no longer stored in the outbox.
      await server.settle();
      const rows = await server.db.mailOutbox.findMany({ where: { to: `${userId}@example.com` } });
      expect(rows).toHaveLength(1);
      expect(rows[0]!.sentAt).not.toBeNull();
      expect(rows[0]!.text).toBe("");
      expect(rows[0]!.html).toBeNull();
    });

    it("delivers a login token with its link", async () => {
      const userId = await newUser();
      const { token } = await server.client(UserAccess, "connect").createLoginToken({ userIds: { userId } });
      expect(token).toBe("");
      await expect.poll(() => mailTo(`${userId}@example.com`).length, { timeout: 5000 }).toBe(1);
      const [mail] = mailTo(`${userId}@example.com`);
      const sent = /login token: ([A-Z2-7]+)/.exec(mail!.text)![1]!;
      expect(mail!.text).toContain(`${PUBLIC_URL}/oauth/token-login?token=${sent}`);
      expect(mail!.html).toContain(`href="${PUBLIC_URL}/oauth/token-login?token=${sent}"`);
    });

    it("delivers the notification e-mail of a new API key with a Console link", async () => {
      const userId = await newUser();
      const key = await server.client(UserAccess, "connect", server.adminKey).createAPIKey({ userIds: { userId }, rights: [Right.USER_INFO], name: "for mail" });
      await expect.poll(() => mailTo(`${userId}@example.com`).length, { timeout: 5000 }).toBe(1);
      const [mail] = mailTo(`${userId}@example.com`);
      expect(mail!.subject).toBe("A new API key has been created for your user");
      expect(mail!.text).toContain(`${PUBLIC_URL}/console/user/api-keys/${key.id}`);
      expect(mail!.text).toContain("RIGHT_USER_INFO");
      expect(mail!.html).toContain(`href="${PUBLIC_URL}/console/user/api-keys/${key.id}"`);
      expect(mail!.html).toContain(`href="${PUBLIC_URL}/console"`); // layout footer
      expect(mail!.text).not.toContain(key.key);
    });

    it("retries while the mail server refuses, without holding up or failing the RPC", async () => {
      const userId = await newUser();
      const outbox = () => server.db.mailOutbox.findFirst({ where: { to: `${userId}@example.com` } });
      smtp.state.refuse = 1000;
      // Answered while every delivery attempt is refused: the RPC does not wait for the mail server.
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      await expect.poll(async () => (await outbox())?.attempts ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      smtp.state.refuse = 0;
      // The outbox row, not the SMTP server, is awaited: the mail arrives a moment before the row records it.
      await expect.poll(async () => (await outbox())?.sentAt ?? null, { timeout: 10_000 }).not.toBeNull();
      expect(mailTo(`${userId}@example.com`)).toHaveLength(1);
      expect((await outbox())!.attempts).toBe(smtp.state.refusedTo.filter((to) => to === `${userId}@example.com`).length + 1);
      // The action itself happened: a second temporary password is refused while the first is valid.
      expect((await rpcError(server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } }))).code).toBe(Code.InvalidArgument);
    });

    it("sends mail that was still pending when the server stopped after it starts again", async () => {
      const userId = await newUser();
      smtp.state.refuse = 1000;
      await server.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
      await expect.poll(async () => (await server.db.mailOutbox.findFirst({ where: { to: `${userId}@example.com` } }))?.attempts ?? 0).toBeGreaterThan(0);
      await server.restart();
      smtp.state.refuse = 0;
      await expect.poll(() => mailTo(`${userId}@example.com`).length, { timeout: 10_000 }).toBe(1);
    });

    it("gives up after the configured attempts and blanks the stored bodies", async () => {
      // A server of its own with a short backoff: five attempts 200 ms apart and doubling would wait 3 s.
      const quick = await startMailingServer("10ms");
      try {
        const userId = await newUser(quick);
        smtp.state.refuse = 1000;
        await quick.client(UserRegistry, "connect").createTemporaryPassword({ userIds: { userId } });
        await expect.poll(
          async () => (await quick.db.mailOutbox.findFirst({ where: { to: `${userId}@example.com` } }))?.attempts,
          { timeout: 15_000, interval: 50 },
        ).toBe(5);
        smtp.state.refuse = 0;
        const row = (await quick.db.mailOutbox.findFirst({ where: { to: `${userId}@example.com` } }))!;
        expect(row.sentAt).toBeNull();
        expect(row.text).toBe("");
        expect(row.html).toBeNull();
        expect(row.lastError).toContain("busy");
        expect(mailTo(`${userId}@example.com`)).toHaveLength(0);
      } finally {
        await quick.close();
      }
    });
  });
}
