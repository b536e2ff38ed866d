// The hostile-client suite's tools: a server in its own process (as deployed: kill -9 hits only it, and its
// event loop is not shared with the attacking client), raw calls in every protocol that send exactly the bytes
// given, and a health monitor that measures how long /healthz takes while the attack runs.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AuthenticationProviderRegistry } from "../../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../../../gen/tti/lorawan/v3/external_user_pb.js";
import { EntityAccess } from "../../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { NotificationService } from "../../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { EntityRegistrySearch } from "../../../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserAccess, UserInvitationRegistry, UserRegistry, UserSessionRegistry } from "../../../gen/ttn/lorawan/v3/user_services_pb.js";
import { loadConfig } from "../../../server/config.js";
import { Right } from "../../../server/domain/rights.js";
import { createAdminUser, createApiKeyForUser } from "../../../server/operator.js";
import type { DatabaseBackend } from "../../support/databases.js";
import { freePort } from "../../support/ports.js";

export { databaseBackends } from "../../support/databases.js";

/** Every service the server registers (server/services/index.ts). */
export const SERVICES: DescService[] = [
  UserRegistry, UserAccess, EntityAccess, UserSessionRegistry, NotificationService, UserInvitationRegistry,
  EntityRegistrySearch, AuthenticationProviderRegistry, ExternalUserRegistry,
];
export const METHODS: DescMethod[] = SERVICES.flatMap((s) => s.methods);
export const ADMIN_PASSWORD = "Admin-Passw0rd";

const repo = fileURLToPath(new URL("../../..", import.meta.url));

/** A database with the bootstrap admin and its RIGHT_ALL key, closed again so a server process can open it. */
export interface PreparedDatabase {
  backend: DatabaseBackend["name"];
  dataDir: string;
  url?: string;
  adminKey: string;
  dispose(): Promise<void>;
}

export async function prepareDatabase(backend: DatabaseBackend): Promise<PreparedDatabase> {
  const database = await backend.create();
  const config = loadConfig({ DATA_DIR: database.dataDir });
  await createAdminUser(database.db.prisma, config, { userId: "admin-user", email: "admin@example.com", password: ADMIN_PASSWORD });
  const adminKey = await createApiKeyForUser(database.db.prisma, { userId: "admin-user", rights: [Right.ALL], name: "bootstrap", expiresAt: null });
  await database.db.close();
  return { backend: backend.name, dataDir: database.dataDir, url: database.url, adminKey, dispose: () => database.dispose() };
}

export { freePort };

export interface ServerProcess {
  port: number;
  baseUrl: string;
  child: ChildProcess;
  /** What the process wrote to stderr (start-up errors). */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | NodeJS.Signals>;
  /** SIGTERM, then SIGKILL if it has not ended within 10 s. */
  stop(): Promise<void>;
}

/** `node --import tsx server/main.ts`, one process without a wrapper, so a signal reaches the server itself. */
export function runServer(env: Record<string, string>): { child: ChildProcess; stderr(): string; stdout(): string; exited: Promise<number | NodeJS.Signals> } {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "production", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (c: Buffer) => { stderr += c.toString(); });
  child.stdout!.on("data", (c: Buffer) => { stdout += c.toString(); });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code ?? 0)));
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

/** Starts a server on `db` and waits until /healthz answers. */
export async function startServerProcess(db: PreparedDatabase, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const run = runServer({
    HOST: "127.0.0.1", PORT: String(port), DATA_DIR: db.dataDir, ...(db.url ? { DATABASE_URL: db.url } : {}),
    SIGN_UP_RATE_LIMIT_PER_ADDRESS: "100000", MAIL_RATE_LIMIT_PER_RECIPIENT: "100000", ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const outcome = await Promise.race([run.exited.then(() => "exited" as const), health(baseUrl, 1_000).then((r) => (r.ok ? "up" as const : "down" as const))]);
    if (outcome === "up") break;
    if (outcome === "exited") throw new Error(`server exited at start: ${run.stderr()}`);
    if (Date.now() > deadline) {
      run.child.kill("SIGKILL");
      throw new Error(`server did not come up: ${run.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port, baseUrl, child: run.child, stderr: run.stderr, exited: run.exited,
    async stop() {
      if (run.child.exitCode !== null || run.child.signalCode !== null) return;
      run.child.kill("SIGTERM");
      const timer = setTimeout(() => run.child.kill("SIGKILL"), 10_000);
      await run.exited;
      clearTimeout(timer);
    },
  };
}

/** One GET /healthz on a fresh connection; how long it took. */
export function health(baseUrl: string, timeoutMs = 5_000): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get(`${baseUrl}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ok: res.statusCode === 200, ms: performance.now() - started }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ ok: false, ms: performance.now() - started }));
  });
}

export interface HealthReport {
  checks: number;
  slowestMs: number;
  failures: number;
  /** Checks of 500 ms or more. */
  slow: number;
  /** Of those, the ones taken while an idle process on the same machine answered within 100 ms. */
  slowWhileMachineResponsive: number;
  /** The most checks of 500 ms or more in a row: a stalled server, not one late answer. */
  longestSlowStreak: number;
}

/**
 * Checks /healthz every `everyMs` until stopped, each time together with the same request to `controlUrl`, an
 * idle server in its own process: when that one is slow too, the machine (busy with other work) delayed both,
 * not the attack on this one.
 */
/** What the attack is doing now (for reports of slow health checks). */
export let current = "";
export const doing = (what: string) => { current = what; };

export function monitorHealth(baseUrl: string, controlUrl: string, everyMs = 50): { stop(): Promise<HealthReport> } {
  let running = true;
  const report: HealthReport = { checks: 0, slowestMs: 0, failures: 0, slow: 0, slowWhileMachineResponsive: 0, longestSlowStreak: 0 };
  let streak = 0;
  const loop = (async () => {
    while (running) {
      const [r, control] = await Promise.all([health(baseUrl, 5_000), health(controlUrl, 5_000)]);
      report.checks++;
      report.slowestMs = Math.max(report.slowestMs, Math.round(r.ms));
      streak = r.ms >= 500 ? streak + 1 : 0;
      report.longestSlowStreak = Math.max(report.longestSlowStreak, streak);
      if (r.ms >= 500) {
        report.slow++;
        if (process.env.HOSTILE_DEBUG) console.log(`slow health ${Math.round(r.ms)} ms (control ${Math.round(control.ms)} ms) during: ${current}`);
        if (control.ms < 100) report.slowWhileMachineResponsive++;
      }
      if (!r.ok) report.failures++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return report;
    },
  };
}

/** An idle HTTP server in its own process answering /healthz: the control for health timings. */
export async function startControlServer(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["-e", `require("http").createServer((q, r) => r.end("ok")).listen(${port}, "127.0.0.1")`], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await health(url, 1_000)).ok; i++) await new Promise((r) => setTimeout(r, 100));
  return { url, stop: () => void child.kill("SIGKILL") };
}

export type RawProtocol = "connect-json" | "connect-proto" | "grpc-web" | "grpc";
export const RAW_PROTOCOLS: RawProtocol[] = ["connect-json", "connect-proto", "grpc-web", "grpc"];

/** What a raw call got back: the HTTP status and the gRPC status code (Connect's code mapped to its number). */
export interface RawAnswer {
  status: number;
  code: number;
  message: string;
  /** Bytes of the answer's error: the Connect body, the gRPC-Web body and headers, or the gRPC status message and trailers. */
  size: number;
}

const CONNECT_CODES: Record<string, number> = {
  canceled: 1, unknown: 2, invalid_argument: 3, deadline_exceeded: 4, not_found: 5, already_exists: 6,
  permission_denied: 7, resource_exhausted: 8, failed_precondition: 9, aborted: 10, out_of_range: 11,
  unimplemented: 12, internal: 13, unavailable: 14, data_loss: 15, unauthenticated: 16,
};

const envelope = (message: Uint8Array) => {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
};

/**
 * Sends `body` as the request of `method` in `protocol`: for Connect the body as is (JSON text or protobuf
 * bytes), for gRPC-Web and gRPC the protobuf bytes in one envelope (unless `raw`: then exactly `body`).
 */
export async function rawCall(baseUrl: string, method: DescMethod, protocol: RawProtocol, body: Uint8Array, options: { raw?: boolean; token?: string } = {}): Promise<RawAnswer> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  if (protocol === "grpc") return grpcCall(baseUrl, path, Buffer.from(body), options.token);
  if (protocol === "grpc-web") {
    const res = await fetch(baseUrl + path, {
      method: "POST", headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", ...auth },
      body: Buffer.from(options.raw ? body : envelope(body)),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    let status = res.headers.get("grpc-status");
    let message = res.headers.get("grpc-message") ?? "";
    // Trailers travel in the body: the frame with flag 0x80.
    for (let i = 0; status === null && i + 5 <= bytes.length;) {
      const length = bytes.readUInt32BE(i + 1);
      if (bytes[i]! & 0x80) {
        const trailer = bytes.subarray(i + 5, i + 5 + length).toString();
        status = /grpc-status:\s*(\d+)/i.exec(trailer)?.[1] ?? null;
        message = /grpc-message:\s*(.*)/i.exec(trailer)?.[1]?.trim() ?? "";
      }
      i += 5 + length;
    }
    let headerBytes = 0;
    res.headers.forEach((v, k) => { headerBytes += k.length + v.length; });
    return { status: res.status, code: status === null ? -1 : Number(status), message: decodeURIComponent(message), size: bytes.length + headerBytes };
  }
  const res = await fetch(baseUrl + path, {
    method: "POST", headers: { "content-type": protocol === "connect-json" ? "application/json" : "application/proto", ...auth }, body: Buffer.from(body),
  });
  const text = await res.text();
  if (res.status === 200) return { status: 200, code: 0, message: "", size: 0 };
  let parsed: { code?: string; message?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not a Connect error body: judged by the HTTP status
  }
  return { status: res.status, code: CONNECT_CODES[parsed.code ?? ""] ?? -1, message: parsed.message ?? text.slice(0, 200), size: Buffer.byteLength(text) };
}

const grpcClients = new Map<string, grpc.Client>();

function grpcCall(baseUrl: string, path: string, body: Buffer, token?: string): Promise<RawAnswer> {
  const address = baseUrl.replace(/^http:\/\//, "");
  let client = grpcClients.get(address);
  if (!client) {
    client = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": -1, "grpc.max_receive_message_length": -1 });
    grpcClients.set(address, client);
  }
  const metadata = new grpc.Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  return new Promise((resolve) => {
    client!.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, metadata, { deadline: Date.now() + 30_000 }, (err) => {
      const trailers = err?.metadata ? Object.entries(err.metadata.getMap()).reduce((n, [k, v]) => n + k.length + v.length, 0) : 0;
      resolve(err ? { status: 200, code: err.code, message: err.details, size: Buffer.byteLength(err.details) + trailers } : { status: 200, code: 0, message: "", size: 0 });
    });
  });
}

/** One HTTP/JSON API request (`/api/v3/…`); the status and the gRPC code of the error body. */
export async function httpApiCall(baseUrl: string, httpMethod: string, path: string, body: Uint8Array | undefined, token?: string): Promise<RawAnswer> {
  const res = await fetch(`${baseUrl}/api/v3${path}`, {
    method: httpMethod,
    headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? Buffer.from(body) : undefined,
  });
  const text = await res.text();
  if (res.status === 200) return { status: 200, code: 0, message: "", size: 0 };
  let parsed: { code?: number; message?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // judged by the status
  }
  return { status: res.status, code: typeof parsed.code === "number" ? parsed.code : -1, message: parsed.message ?? text.slice(0, 200), size: Buffer.byteLength(text) };
}

export function closeGrpcClients(): void {
  for (const client of grpcClients.values()) client.close();
  grpcClients.clear();
}

/** Removes a data directory of a prepared database whose files a killed process left behind. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
