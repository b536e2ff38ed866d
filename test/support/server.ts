// A real server on an ephemeral loopback port, over a fresh database of the chosen backend, with typed
// clients for every protocol. Tests act only through these clients, as users of the service would.
import type { DescService } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { startServer } from "../../server/app.js";
import type { Clock } from "../../server/clock.js";
import { loadConfig, type Config } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import type { MailMessage } from "../../server/mail/transport.js";
import { ErrorDetailsSchema } from "../../gen/ttn/lorawan/v3/error_pb.js";
import { createAdminUser, createApiKeyForUser } from "../../server/operator.js";
import { Right } from "../../server/domain/rights.js";
import { databaseBackends, type DatabaseBackend, type UnopenedDatabase } from "./databases.js";

export const ADMIN_PASSWORD = "Admin-Passw0rd";

export type Protocol = "connect" | "grpc-web" | "grpc";
export const PROTOCOLS: Protocol[] = ["connect", "grpc-web", "grpc"];
export { databaseBackends, type DatabaseBackend };

export interface TestServer {
  /** RIGHT_ALL key of the bootstrapped admin `admin-user` (password ADMIN_PASSWORD), as the CLI would create. */
  adminKey: string;
  baseUrl: string;
  port: number;
  config: Config;
  /** Mail captured instead of sent. */
  mail: MailMessage[];
  transport(protocol: Protocol, token?: string): Transport;
  client<S extends DescService>(service: S, protocol: Protocol, token?: string): Client<S>;
  /** The running server's database client, for checks on what is stored (e.g. the mail outbox). */
  readonly db: PrismaClient;
  /** Waits for work that follows RPCs (internal notifications) and for due mail to be delivered. */
  settle(): Promise<void>;
  /** Stops the server and reopens it on the same database (to show data survives a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const bearer = (token?: string): Interceptor[] =>
  token ? [(next) => (req) => { req.header.set("authorization", token.includes(" ") ? token : `Bearer ${token}`); return next(req); }] : [];

export interface TestServerOptions {
  /** false: no capturing transport, mail goes wherever the config says (e.g. SMTP_URL); `mail` stays empty. */
  captureMail?: boolean;
  /** The server's time (e.g. a ManualClock from ./clock.js); default the system clock. */
  clock?: Clock;
}

export async function startTestServer(backend: DatabaseBackend, env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  // The server opens the database itself (PGlite allows one opener); the admin is created through its client.
  let database: UnopenedDatabase;
  if (backend.createUnopened) database = await backend.createUnopened();
  else {
    const { db, ...rest } = await backend.create();
    await db.close();
    database = rest;
  }
  const config = loadConfig({
    HOST: "127.0.0.1", PORT: "0", DATA_DIR: database.dataDir, LOG_LEVEL: "silent",
    // Every test client calls from 127.0.0.1 and many mail one admin: tests of these limits set their own.
    SIGN_UP_RATE_LIMIT_PER_ADDRESS: "100000", MAIL_RATE_LIMIT_PER_RECIPIENT: "100000", LOGIN_RATE_LIMIT_PER_ADDRESS: "100000",
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const mail: MailMessage[] = [];
  const logger = createLogger("silent");
  const capture = options.captureMail ?? true;
  const start = () => startServer(config, logger, { clock: options.clock, ...(capture ? { mailTransport: async (m: MailMessage) => { mail.push(m); } } : {}) });
  let server = await start();
  const prisma = server.app.deps.db;
  await createAdminUser(prisma, config, { userId: "admin-user", email: "admin@example.com", password: ADMIN_PASSWORD });
  const adminKey = await createApiKeyForUser(prisma, { userId: "admin-user", rights: [Right.ALL], name: "bootstrap", expiresAt: null });
  const baseUrl = () => `http://127.0.0.1:${server.listener.port}`;

  const transport = (protocol: Protocol, token?: string) => {
    const t = { connect: createConnectTransport, "grpc-web": createGrpcWebTransport, grpc: createGrpcTransport }[protocol];
    return t({ baseUrl: baseUrl(), httpVersion: protocol === "grpc" ? "2" : "1.1", interceptors: bearer(token) } as never);
  };

  return {
    adminKey,
    get baseUrl() { return baseUrl(); },
    get port() { return server.listener.port; },
    config,
    mail,
    transport,
    client: (service, protocol, token) => createClient(service, transport(protocol, token)),
    get db() { return server.app.deps.db; },
    async settle() {
      await server.app.deps.background.settled();
      await server.app.deps.mail.drain();
    },
    async restart() {
      await server.close();
      server = await start();
    },
    async close() {
      await server.close();
      await database.dispose();
    },
  };
}

/** The awaited call's error, which must be a ConnectError (the test fails otherwise). */
export async function rpcError(call: Promise<unknown>): Promise<ConnectError & { errorName: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    const details = e.findDetails(ErrorDetailsSchema)[0];
    return Object.assign(e, { errorName: details ? `${details.namespace}:${details.name}` : "" });
  }
  throw new Error("expected the call to fail, but it succeeded");
}
