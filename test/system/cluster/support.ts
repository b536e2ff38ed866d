// The cluster suite's tools: real instances (`node build/server/main.js`, the compiled server `npm start` runs) on one
// PostgreSQL database and one Redis, a TCP proxy that can cut an instance off from PostgreSQL, an SMTP server that
// counts what arrives, and HAProxy with deploy/haproxy.cfg in front.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { SMTPServer } from "smtp-server";
import { freePort, prepareDatabase, type PreparedDatabase } from "../hostile/support.js";
import { databaseBackends } from "../../support/databases.js";

export { ADMIN_PASSWORD, freePort } from "../hostile/support.js";

export const repo = fileURLToPath(new URL("../../..", import.meta.url));

/** The suite runs several instances on one database and Redis: it needs both (CI has them). */
export function sharedServices(): { redisUrl: string } {
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!process.env.TEST_DATABASE_URL || !redisUrl) {
    throw new Error("the cluster suite needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL (Redis), as .ci/run sets them");
  }
  return { redisUrl };
}

/** A fresh PostgreSQL database with the bootstrap admin and its key. */
export async function prepareClusterDatabase(): Promise<PreparedDatabase> {
  const postgres = databaseBackends().find((b) => b.name === "postgres")!;
  return prepareDatabase(postgres);
}

/** Compiles the server when a source is newer than build/ (what `npm start` does first). */
export async function buildServer(): Promise<void> {
  await promisify(execFile)(process.execPath, ["scripts/build-server.mjs", "--if-stale"], { cwd: repo });
}

export interface Instance {
  name: string;
  port: number;
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | NodeJS.Signals>;
  client<S extends DescService>(service: S, token?: string, protocol?: "connect" | "grpc"): Client<S>;
  /** SIGTERM and wait for the exit; SIGKILL after 20 s. */
  stop(): Promise<number | NodeJS.Signals>;
}

export const bearer = (token?: string) =>
  token ? [(next: any) => (req: any) => { req.header.set("authorization", `Bearer ${token}`); return next(req); }] : [];

/** One instance in its own process; resolves once /readyz says ready. */
export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `ttnid-cluster-${name}-`));
  const child = spawn(process.execPath, ["build/server/main.js"], {
    cwd: repo,
    env: {
      PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "production", LOG_LEVEL: "warn",
      HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir,
      SIGN_UP_RATE_LIMIT_PER_ADDRESS: "100000", MAIL_RATE_LIMIT_PER_RECIPIENT: "100000", ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => { output += c.toString(); });
  child.stderr!.on("data", (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once("exit", (code, signal) => {
    rmSync(dataDir, { recursive: true, force: true });
    resolve(signal ?? code ?? 0);
  }));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start:\n${output}`);
    if ((await readiness(baseUrl)).status === 200) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name, port, baseUrl, child, exited, output: () => output,
    client: (service, token, protocol = "connect") => createClient(service, (protocol === "grpc" ? createGrpcTransport : createConnectTransport)({
      baseUrl, httpVersion: protocol === "grpc" ? "2" : "1.1", interceptors: bearer(token),
    } as never)),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

/** GET /readyz: its status and body; status 0 when nothing answered. */
export async function readiness(baseUrl: string): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  } catch {
    return { status: 0, body: undefined };
  }
}

/** Polls `check` until it returns something other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A TCP proxy to `target` on a loopback port. `cut()` drops every connection and refuses new ones (as a
 * database that went away), `restore()` lets them through again.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.once("close", () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    open = false;
    for (const s of sockets) s.destroy();
  };
  return {
    port,
    cut,
    restore() { open = true; },
    close: () => new Promise<void>((resolve) => { cut(); server.close(() => resolve()); }),
  };
}

/** An SMTP server on loopback that counts the messages each recipient gets. */
export async function startSmtpCounter() {
  const received = new Map<string, number>();
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ["STARTTLS"], logger: false,
    onData(stream, session, callback) {
      stream.resume();
      stream.on("end", () => {
        for (const rcpt of session.envelope.rcptTo) received.set(rcpt.address, (received.get(rcpt.address) ?? 0) + 1);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as net.AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

/** Environment shared by the instances of one cluster: one database, one Redis (own key prefix), trust for X-Forwarded-For. */
export function clusterEnv(db: PreparedDatabase, redisUrl: string): Record<string, string> {
  return { DATABASE_URL: db.url!, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `ttnid-cluster-${randomUUID()}:` };
}
