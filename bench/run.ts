// `npm run bench`: this server against the Connect stack's own ceiling, side by side. A bare Connect-ES server
// (bench/bare-server.ts: same generated code, listener and protocols, fixed answers) and the real server (compiled,
// as `npm start` runs it) are driven by the same load generator (h2load, HTTP/2 cleartext, 64 requests in flight)
// in interleaved rounds, per call × protocol × database. Also: single-call latency of List and SearchUsers, a
// password-login storm with the latency of other calls meanwhile, RSS under load, and WORKERS=2 on PostgreSQL.
// Prints Markdown tables for README.
//
//   npm run bench                      full run (both databases, 3 protocols, 2 rounds; about 8 minutes)
//   npm run bench -- --quick           one round, Connect JSON only, shorter runs (about 2 minutes)
//   options: --rounds N  --seconds S  --users N  --backends embedded,postgres  --protocols connect-json,connect-proto,grpc
//            --cases authinfo-anon,authinfo-key,authinfo-session,get-key,list,search  --no-storm  --no-workers
//            --profile DIR (V8 CPU profiles of the server and the bare server, for node --cpu-prof tools)
// PostgreSQL: BENCH_DATABASE_URL or TEST_DATABASE_URL (an admin URL; a scratch database is created and dropped),
// default postgresql://postgres@127.0.0.1:5432/test.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { fromJson, toBinary, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { EntityAccess } from "../gen/ttn/lorawan/v3/identityserver_pb.js";
import { EntityRegistrySearch } from "../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserRegistry } from "../gen/ttn/lorawan/v3/user_services_pb.js";
import { startSession } from "../server/auth/sessions.js";
import { loadConfig } from "../server/config.js";
import { createAdminUser, createApiKeyForUser } from "../server/operator.js";
import { Right } from "../server/domain/rights.js";
import { openDatabase } from "../server/store/database.js";
import { migrate } from "../server/store/migrate.js";
import { findUser } from "../server/store/users.js";
import { h2load, percentile, type LoadResult } from "./h2load.js";
import { seedUsers } from "./seed.js";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    users: { type: "string" },
    backends: { type: "string" },
    protocols: { type: "string" },
    cases: { type: "string" },
    "no-storm": { type: "boolean", default: false },
    "no-workers": { type: "boolean", default: false },
    /** Directory for V8 CPU profiles (node --cpu-prof) of the server and the bare server, to see where the time goes. */
    profile: { type: "string" },
  },
});
const quick = opts.quick;
const ROUNDS = Number(opts.rounds ?? (quick ? 1 : 2));
const SECONDS = Number(opts.seconds ?? (quick ? 1 : 2));
const WARM_UP = quick ? 0.3 : 0.5;
const USERS = Number(opts.users ?? 100_000);
const STORM_ROUNDS = quick ? 2 : 16;
const CONCURRENCY = 64;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const list = (value: string | undefined, all: string[]) => (value ? value.split(",").map((s) => s.trim()) : all);

type ProtocolName = "connect-json" | "connect-proto" | "grpc";
const PROTOCOL_LABELS: Record<ProtocolName, string> = { "connect-json": "Connect JSON", "connect-proto": "Connect binary", grpc: "gRPC" };
const protocols = list(opts.protocols, quick ? ["connect-json"] : ["connect-json", "connect-proto", "grpc"]) as ProtocolName[];

interface Case {
  name: string;
  label: string;
  path: string;
  input: DescMessage;
  auth?: "key" | "session";
  /** Canonical protobuf JSON with proto field names (what both servers parse). */
  json: JsonValue;
}

const CASES: Case[] = [
  { name: "authinfo-anon", label: "AuthInfo, anonymous", path: "/ttn.lorawan.v3.EntityAccess/AuthInfo", input: EntityAccess.method.authInfo.input, json: {} },
  { name: "authinfo-key", label: "AuthInfo, API key", path: "/ttn.lorawan.v3.EntityAccess/AuthInfo", input: EntityAccess.method.authInfo.input, auth: "key", json: {} },
  { name: "authinfo-session", label: "AuthInfo, session", path: "/ttn.lorawan.v3.EntityAccess/AuthInfo", input: EntityAccess.method.authInfo.input, auth: "session", json: {} },
  {
    name: "get-key", label: "UserRegistry.Get, API key", path: "/ttn.lorawan.v3.UserRegistry/Get", input: UserRegistry.method.get.input, auth: "key",
    json: { user_ids: { user_id: "admin-user" }, field_mask: "name,primaryEmailAddress,state,admin,createdAt,updatedAt,attributes" },
  },
  {
    name: "list", label: "UserRegistry.List, limit 100", path: "/ttn.lorawan.v3.UserRegistry/List", input: UserRegistry.method.list.input, auth: "key",
    json: { limit: 100, field_mask: "name,primaryEmailAddress,state,admin,createdAt" },
  },
  {
    name: "search", label: "SearchUsers, name ~5 %", path: "/ttn.lorawan.v3.EntityRegistrySearch/SearchUsers", input: EntityRegistrySearch.method.searchUsers.input, auth: "key",
    json: { name_contains: "lice", limit: 100, field_mask: "name,state" },
  },
];
const cases = CASES.filter((c) => list(opts.cases, CASES.map((x) => x.name)).includes(c.name));
const backends = list(opts.backends, ["embedded", "postgres"]) as ("embedded" | "postgres")[];

interface Credentials { key: string; session: string }

function request(c: Case, protocol: ProtocolName, creds: Credentials): { headers: Record<string, string>; body: Uint8Array } {
  const headers: Record<string, string> = { "x-bench-case": c.name };
  if (c.auth === "key") headers.authorization = `Bearer ${creds.key}`;
  if (c.auth === "session") headers.authorization = `Bearer ${creds.session}`;
  if (protocol === "connect-json") {
    headers["content-type"] = "application/json";
    return { headers, body: Buffer.from(JSON.stringify(c.json)) };
  }
  const message = toBinary(c.input, fromJson(c.input, c.json));
  if (protocol === "connect-proto") {
    headers["content-type"] = "application/proto";
    // h2load cannot send an empty body file; an unknown field (15, varint 0) is skipped by both servers alike.
    return { headers, body: message.byteLength ? message : Uint8Array.of(0x78, 0x00) };
  }
  headers["content-type"] = "application/grpc";
  headers.te = "trailers";
  const frame = Buffer.alloc(5 + message.byteLength);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return { headers, body: frame };
}

/** One call over HTTP/2; throws unless it succeeded. Returns the response body (protobuf for connect-proto). */
async function call(port: number, c: Case, protocol: ProtocolName, creds: Credentials): Promise<Buffer> {
  const { headers, body } = request(c, protocol, creds);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": c.path, ...headers });
      const chunks: Buffer[] = [];
      let status = 0;
      let grpcStatus: string | undefined;
      stream.on("response", (h) => { status = Number(h[":status"]); grpcStatus ??= h["grpc-status"] as string | undefined; });
      stream.on("trailers", (h) => { grpcStatus = h["grpc-status"] as string | undefined; });
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("error", reject);
      stream.on("end", () => {
        const out = Buffer.concat(chunks);
        if (status !== 200 || (protocol === "grpc" && grpcStatus !== "0")) reject(new Error(`${c.name} over ${protocol}: HTTP ${status}, grpc-status ${grpcStatus}: ${out.toString().slice(0, 300)}`));
        else resolve(out);
      });
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not start:\n${log()}`);
}

interface Process { port: number; child: ChildProcess; stop(): Promise<void> }

async function startProcess(args: string[], env: Record<string, string>): Promise<Process> {
  const port = await freePort();
  let log = "";
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (d) => { log = (log + d).slice(-4000); });
  await waitForHealthOrPort(port, child, () => log);
  return {
    port, child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }),
  };
}

/** The bare server has no /healthz; it is up once it accepts a connection. */
async function waitForHealthOrPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  if (!child.spawnargs.some((a) => a.endsWith("bare-server.ts"))) return waitForHealth(port, child, log);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bare server exited:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("bare server did not start");
}

/**
 * Resident memory of the server, in MB: the RSS of its process plus the private pages of its child processes (the
 * password hasher, cluster workers). A child's shared pages (the node binary and libraries, mapped by the parent
 * too) are counted once, not once per process as a sum of RSS would.
 */
function residentMb(pid: number): number {
  let kb = 0;
  const visit = (p: number, root: boolean) => {
    try {
      if (root) {
        kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
      } else {
        const rollup = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
        for (const field of ["Private_Clean", "Private_Dirty"]) kb += Number(new RegExp(`${field}:\\s+(\\d+)`).exec(rollup)?.[1] ?? 0);
      }
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(child), false);
    } catch {
      // gone meanwhile
    }
  };
  visit(pid, true);
  return kb / 1024;
}

interface Prepared { env: Record<string, string>; creds: Credentials; dispose(): Promise<void> }

/** A fresh database with the admin, a key, a session and USERS synthetic users; closed again for the server. */
async function prepare(backend: "embedded" | "postgres"): Promise<Prepared> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-bench-data-"));
  let url: string | undefined;
  let dropDatabase = async () => {};
  if (backend === "postgres") {
    const name = `ttnid_bench_${randomUUID().replace(/-/g, "")}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const target = new URL(ADMIN_URL);
    target.pathname = `/${name}`;
    url = target.toString();
    dropDatabase = async () => {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    };
  }
  const env: Record<string, string> = {
    HOST: "127.0.0.1", DATA_DIR: dataDir, ...(url ? { DATABASE_URL: url } : {}),
    // The storm logs in as one user from one address, far past what the guessing protection allows by default.
    LOGIN_RATE_LIMIT_PER_USER_ADDRESS: "1000", LOGIN_RATE_LIMIT_PER_USER: "1000", LOGIN_RATE_LIMIT_PER_ADDRESS: "100000",
  };
  const config = loadConfig({ ...env, PORT: "0" });
  const db = await openDatabase({ databaseUrl: url, dataDir });
  try {
    await migrate(db);
    await createAdminUser(db.prisma, config, { userId: "admin-user", email: "admin@example.com", password: ADMIN_PASSWORD });
    const key = await createApiKeyForUser(db.prisma, { userId: "admin-user", rights: [Right.ALL], name: "bench", expiresAt: null });
    const admin = (await findUser(db.prisma, "admin-user"))!;
    const started = await startSession(db.prisma, admin.id, config.sessions);
    const [id, secret] = started.cookieValue.split(".");
    const seedStart = performance.now();
    await seedUsers(db.sql, USERS, (n) => process.stderr.write(`\r${backend}: seeded ${n.toLocaleString("en")} users`));
    await db.sql("ANALYZE");
    process.stderr.write(` in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);
    return {
      env, creds: { key, session: `ONZW4.${id}.${secret}` },
      async dispose() {
        await dropDatabase();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } finally {
    await db.close();
  }
}

const ADMIN_PASSWORD = "Bench-Admin-Passw0rd";

/** Node flags that write CPU profiles into `<--profile>/<name>/`, if asked for. */
function profiling(name: string): string[] {
  // Sampled every 200 µs (Node samples every 1 ms by default, too coarse for calls that take about as long).
  return opts.profile ? ["--cpu-prof", "--cpu-prof-interval", "200", "--cpu-prof-dir", path.resolve(opts.profile, name)] : [];
}

/** The Node flags `npm start` gives the server (package.json), so the bench runs it the same way. */
const START_FLAGS = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start
  .split(/\s+/).filter((arg) => arg.startsWith("--"));

function startServer(prepared: Prepared, extraEnv: Record<string, string> = {}): Promise<Process> {
  return startProcess([...profiling("server"), ...START_FLAGS, "build/server/main.js"], { ...prepared.env, ...extraEnv });
}

/** The largest resident memory of a server seen so far, and what it was doing then. */
interface MemorySample { pid: number; max: number; during: string }

/** Samples `sample`'s memory every 250 ms while `during` goes on; returns the function that stops sampling. */
function sampleMemory(sample: MemorySample, during: string): () => void {
  const timer = setInterval(() => {
    const mb = residentMb(sample.pid);
    if (mb > sample.max) Object.assign(sample, { max: mb, during });
  }, 250);
  return () => clearInterval(timer);
}

/** Loads one call for SECONDS, sampling the memory of `sample` meanwhile. */
async function load(target: Process, c: Case, protocol: ProtocolName, creds: Credentials, sample?: MemorySample, concurrency = CONCURRENCY): Promise<LoadResult> {
  const { headers, body } = request(c, protocol, creds);
  const stopSampling = sample ? sampleMemory(sample, `${c.label}, ${PROTOCOL_LABELS[protocol]}`) : undefined;
  try {
    return await h2load({ url: `http://127.0.0.1:${target.port}${c.path}`, headers, body, seconds: SECONDS, warmUpSeconds: WARM_UP, concurrency }, target.child.pid);
  } finally {
    stopSampling?.();
  }
}

/** Paced AuthInfo-with-key calls (one every 5 ms) for `ms`: the latencies another client sees, unsorted. */
async function probe(session: http2.ClientHttp2Session, creds: Credentials, ms: number): Promise<number[]> {
  const c = cases.find((x) => x.name === "authinfo-key") ?? CASES[1]!;
  const { headers, body } = request(c, "connect-json", creds);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = performance.now();
    pending.push(new Promise<void>((resolve) => {
      const stream = session.request({ ":method": "POST", ":path": c.path, ...headers });
      stream.on("data", () => {});
      stream.on("end", () => { latencies.push(performance.now() - start); resolve(); });
      stream.on("error", () => resolve());
      stream.end(body);
    }));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  return latencies;
}

function summary(latencies: number[]): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

interface Row { backend: string; case: Case; protocol: ProtocolName; server: number[]; bare: number[]; serverCpu: number[]; bareCpu: number[] }
interface StormResult {
  backend: string; loginsPerSecond: number; failed: number; quiet: { p50: number; p99: number }; storm: { p50: number; p99: number };
  /** The p99 ratio of the quiet windows of even rounds to those of odd rounds (larger over smaller): what the machine's noise alone gives. */
  quietNoise: number;
}

const rows: Row[] = [];
const latency: { backend: string; label: string; p50: number; p95: number }[] = [];
const storms: StormResult[] = [];
const memory: { backend: string; peakMb: number; during: string; idleMb: number }[] = [];
const scaling: { label: string; workers1: number; workers2: number; bare: number }[] = [];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function benchBackend(backend: "embedded" | "postgres"): Promise<void> {
  const prepared = await prepare(backend);
  let server: Process | undefined;
  let bare: Process | undefined;
  try {
    server = await startServer(prepared);
    // Capture the server's answers (proving every case succeeds on every protocol) for the bare server to return.
    const answers: Record<string, string> = {};
    for (const c of cases) {
      for (const protocol of protocols) await call(server.port, c, protocol, prepared.creds);
      answers[c.name] = (await call(server.port, c, "connect-proto", prepared.creds)).toString("base64");
    }
    const answersFile = path.join(prepared.env.DATA_DIR!, "answers.json");
    writeFileSync(answersFile, JSON.stringify(answers));
    bare = await startProcess([...profiling("bare"), ...tsxArgs(), "bench/bare-server.ts", answersFile], {});
    for (const c of cases) await call(bare.port, c, "connect-json", prepared.creds);

    const sample: MemorySample = { pid: server.child.pid!, max: 0, during: "" };
    const idleMb = residentMb(server.child.pid!);
    for (const c of cases) for (const protocol of protocols) rows.push({ backend, case: c, protocol, server: [], bare: [], serverCpu: [], bareCpu: [] });
    const mine = rows.filter((r) => r.backend === backend);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, row] of mine.entries()) {
        // Alternate which goes first, so neither always meets the other's leftovers (GC, TCP state, CPU boost).
        const order = (round + i) % 2 === 0 ? ["server", "bare"] : ["bare", "server"];
        for (const which of order) {
          const target = which === "server" ? server : bare;
          const result = await load(target, row.case, row.protocol, prepared.creds, which === "server" ? sample : undefined);
          if (result.failed) throw new Error(`${which}: ${row.case.name} over ${row.protocol}: ${result.failed} of ${result.done} failed`);
          (which === "server" ? row.server : row.bare).push(result.rps);
          if (result.cpuUsPerCall !== undefined) (which === "server" ? row.serverCpu : row.bareCpu).push(result.cpuUsPerCall);
        }
        process.stderr.write(`\r${backend} round ${round + 1}/${ROUNDS}: ${i + 1}/${mine.length} `);
      }
    }
    process.stderr.write("\n");

    // One call at a time: the latency of a List or SearchUsers call itself, without queueing behind 63 others.
    for (const c of cases.filter((x) => x.name === "list" || x.name === "search")) {
      const { headers, body } = request(c, "connect-json", prepared.creds);
      const lat: number[] = [];
      const end = performance.now() + SECONDS * 1000 * 1.5;
      const session = http2.connect(`http://127.0.0.1:${server.port}`);
      while (performance.now() < end || lat.length < 20) {
        const start = performance.now();
        await new Promise<void>((resolve, reject) => {
          const s = session.request({ ":method": "POST", ":path": c.path, ...headers });
          s.on("data", () => {});
          s.on("end", resolve);
          s.on("error", reject);
          s.end(body);
        });
        lat.push(performance.now() - start);
      }
      session.close();
      lat.sort((a, b) => a - b);
      latency.push({ backend, label: c.label, p50: percentile(lat, 50), p95: percentile(lat, 95) });
    }

    if (!opts["no-storm"]) {
      // The storm counts towards the peak too: hashing runs in a child process of the server.
      const stopSampling = sampleMemory(sample, "the login storm");
      storms.push(await loginStorm(backend, server.port, prepared.creds).finally(stopSampling));
    }
    memory.push({ backend, peakMb: sample.max, during: sample.during, idleMb });

    if (backend === "postgres" && !opts["no-workers"]) {
      const scaled = cases.filter((c) => c.name === "authinfo-key" || c.name === "get-key");
      const w1 = new Map<string, number[]>();
      const bareRps = new Map<string, number[]>();
      for (const c of scaled) {
        w1.set(c.name, [await load(server, c, "connect-json", prepared.creds).then((r) => r.rps)]);
        bareRps.set(c.name, [await load(bare, c, "connect-json", prepared.creds).then((r) => r.rps)]);
      }
      await server.stop();
      server = await startServer(prepared, { WORKERS: "2" });
      for (const c of scaled) await call(server.port, c, "connect-json", prepared.creds);
      for (const c of scaled) {
        const w2 = await load(server, c, "connect-json", prepared.creds);
        scaling.push({ label: c.label, workers1: mean(w1.get(c.name)!), workers2: w2.rps, bare: mean(bareRps.get(c.name)!) });
      }
    }
  } finally {
    await server?.stop();
    await bare?.stop();
    await prepared.dispose();
  }
}

/**
 * Logins as fast as 16 clients can send them, while a paced client measures AuthInfo latency over one HTTP/2
 * connection. Quiet and storm windows of a second alternate over STORM_ROUNDS rounds, half of them storm first, and
 * each side's latencies are pooled: a slow spell of the machine (another tenant of the VM) then falls on both sides
 * alike instead of deciding the ratio. Every storm starts anew, 16 connections at once, and the hashes it left
 * queued are done before the next window.
 */
async function loginStorm(backend: string, port: number, creds: Credentials): Promise<StormResult> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const quiet: number[][] = [[], []]; // by round parity
  const during: number[] = [];
  const rates: number[] = [];
  let failed = 0;
  const stormWindow = async () => {
    const storm = h2load({
      url: `http://127.0.0.1:${port}/oauth/api/auth/login`, headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ user_id: "admin-user", password: ADMIN_PASSWORD })),
      seconds: 1.5, warmUpSeconds: 0, concurrency: 16, http1: true,
    });
    await pause(250);
    during.push(...(await probe(session, creds, 1000)));
    const result = await storm;
    rates.push(result.rps);
    failed += result.failed;
  };
  try {
    for (let round = 0; round < STORM_ROUNDS; round++) {
      const quietWindow = async () => { quiet[round % 2]!.push(...(await probe(session, creds, 1000))); };
      for (const window of round % 2 ? [stormWindow, quietWindow] : [quietWindow, stormWindow]) {
        await window();
        await pause(750);
      }
    }
  } finally {
    session.close();
  }
  const [even, odd] = quiet.map((q) => summary(q).p99) as [number, number];
  return {
    backend, loginsPerSecond: mean(rates), failed, quiet: summary(quiet.flat()), storm: summary(during),
    quietNoise: Math.max(even, odd) / Math.min(even, odd),
  };
}

function tsxArgs(): string[] {
  return ["--import", "tsx"];
}

// ---- run ----
if (spawnSync(process.execPath, ["scripts/build-server.mjs", "--if-stale"], { stdio: "inherit" }).status !== 0) process.exit(1);
const startedAt = new Date();
const load1 = os.loadavg()[0]!;
const t0 = performance.now();
for (const backend of backends) {
  if (backend === "postgres") {
    const probeClient = new pg.Client({ connectionString: ADMIN_URL });
    const reachable = await probeClient.connect().then(() => true, () => false);
    await probeClient.end().catch(() => {});
    if (!reachable) {
      console.error(`PostgreSQL at ${ADMIN_URL} is not reachable: skipped`);
      continue;
    }
  }
  await benchBackend(backend);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const ratio = (row: Row | undefined) => (row ? `${fmt(mean(row.server))} (${(mean(row.server) / mean(row.bare)).toFixed(2)}×)` : "–");
const cpuRatio = (row: Row | undefined) =>
  row?.serverCpu.length && row.bareCpu.length ? `${fmt(mean(row.serverCpu))} (${(mean(row.bareCpu) / mean(row.serverCpu)).toFixed(2)}×)` : "–";
console.log(`\n### Benchmark ${startedAt.toISOString().slice(0, 10)}`);
console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), load average ${load1.toFixed(1)} at start, Node ${process.version}; h2load, HTTP/2 cleartext, ${CONCURRENCY} requests in flight, ${ROUNDS} interleaved round(s) of ${SECONDS} s per call; ${USERS.toLocaleString("en")} users. ${Math.round((performance.now() - t0) / 1000)} s in all.`);
console.log(`\nRequests/s, with the ratio to the bare Connect server measured in the same rounds; then the server's CPU time per`);
console.log(`call (µs, all its processes), with the bare server's CPU per call divided by it: the ceiling ratio as CPU sees it, which`);
console.log(`other load on the machine disturbs far less than requests/s. The database's own CPU (PostgreSQL) is not counted.\n`);
const shownBackends = [...new Set(rows.map((r) => r.backend))];
const backendLabel = (b: string) => (b === "postgres" ? "PostgreSQL" : "embedded");
console.log(`| call | protocol | bare req/s | ${shownBackends.map((b) => `${backendLabel(b)} req/s`).join(" | ")} | bare µs/call | ${shownBackends.map((b) => `${backendLabel(b)} µs/call`).join(" | ")} |`);
console.log(`|---|---|---:|${shownBackends.map(() => "---:").join("|")}|---:|${shownBackends.map(() => "---:").join("|")}|`);
for (const c of cases) {
  for (const protocol of protocols) {
    const mine = rows.filter((r) => r.case === c && r.protocol === protocol);
    if (!mine.length) continue;
    const ceiling = mean(mine.flatMap((r) => r.bare));
    const bareCpu = mine.flatMap((r) => r.bareCpu);
    console.log(`| ${c.label} | ${PROTOCOL_LABELS[protocol]} | ${fmt(ceiling)} | ${shownBackends.map((b) => ratio(mine.find((r) => r.backend === b))).join(" | ")} | ${bareCpu.length ? fmt(mean(bareCpu)) : "–"} | ${shownBackends.map((b) => cpuRatio(mine.find((r) => r.backend === b))).join(" | ")} |`);
  }
}
if (latency.length) {
  console.log(`\nOne call at a time (Connect JSON), ms:\n`);
  console.log(`| call | database | p50 | p95 |\n|---|---|---:|---:|`);
  for (const l of latency) console.log(`| ${l.label} | ${backendLabel(l.backend)} | ${l.p50.toFixed(1)} | ${l.p95.toFixed(1)} |`);
}
if (storms.length) {
  console.log(`\nPassword-login storm (16 clients) and the latency of AuthInfo calls paced every 5 ms, ${STORM_ROUNDS} rounds of 1 s quiet and 1 s of storm, alternately first, ms:\n`);
  console.log(`| database | logins/s | AuthInfo p50 / p99 quiet | during the storm | p99 ratio | quiet against quiet |\n|---|---:|---:|---:|---:|---:|`);
  for (const s of storms) {
    console.log(`| ${backendLabel(s.backend)} | ${s.loginsPerSecond.toFixed(1)}${s.failed ? ` (${s.failed} failed)` : ""} | ${s.quiet.p50.toFixed(1)} / ${s.quiet.p99.toFixed(1)} | ${s.storm.p50.toFixed(1)} / ${s.storm.p99.toFixed(1)} | ${(s.storm.p99 / s.quiet.p99).toFixed(2)}× | ${s.quietNoise.toFixed(2)}× |`);
  }
  console.log(`\nQuiet against quiet: the p99 of the even rounds' quiet windows against the odd rounds' (larger over smaller), with\nno storm in either: how far apart two measurements of the same thing land on this machine.`);
}
if (memory.length) {
  console.log(`\nResident memory of the server, MB: its process's RSS plus the private memory of its child processes (the password\nhasher; under WORKERS the workers), whose shared pages (the node binary) the server process already counts:\n`);
  console.log(`| database | after start-up | peak under load | peak reached during |\n|---|---:|---:|---|`);
  for (const m of memory) console.log(`| ${backendLabel(m.backend)} | ${fmt(m.idleMb)} | ${fmt(m.peakMb)} | ${m.during} |`);
}
if (scaling.length) {
  console.log(`\nWORKERS on PostgreSQL (Connect JSON), requests/s:\n`);
  console.log(`| call | bare ceiling (1 process) | WORKERS=1 | WORKERS=2 |\n|---|---:|---:|---:|`);
  for (const s of scaling) console.log(`| ${s.label} | ${fmt(s.bare)} | ${fmt(s.workers1)} (${(s.workers1 / s.bare).toFixed(2)}×) | ${fmt(s.workers2)} (${(s.workers2 / s.bare).toFixed(2)}×) |`);
}
