// A server that cannot start says why in one line that names the cause and the fix, exits non-zero, and shows
// no stack trace: a second server on the same embedded data, a missing or unreachable PostgreSQL database, a
// port in use, unreadable or invalid TLS files.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBackends, freePort, prepareDatabase, runServer, startServerProcess, type PreparedDatabase, type ServerProcess } from "./support.js";

/** Runs the server with `env` until it exits; its exit code and what it printed on stderr. */
async function failedStart(env: Record<string, string>): Promise<{ code: number | string; stderr: string }> {
  const run = runServer({ HOST: "127.0.0.1", ...env });
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 60_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stderr: run.stderr().trim() };
}

function expectOneLine(result: { code: number | string; stderr: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.split("\n").filter((l) => l.trim());
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^cannot start: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("start-up errors", () => {
  let db: PreparedDatabase;
  let first: ServerProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ttnid-startup-"));
    db = await prepareDatabase(databaseBackends()[0]!);
    first = await startServerProcess(db);
  }, 300_000); // a server process start, slow on a busy machine
  afterAll(async () => {
    await first?.stop();
    await db?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a second server on the same embedded data", async () => {
    const result = await failedStart({ PORT: String(await freePort()), DATA_DIR: db.dataDir });
    expectOneLine(result, /in use by process \d+; stop it first \(or use DATABASE_URL\)/);
  });

  it("names a port in use", async () => {
    const other = await prepareDatabase(databaseBackends()[0]!);
    try {
      const result = await failedStart({ PORT: String(first.port), DATA_DIR: other.dataDir });
      expectOneLine(result, new RegExp(`port ${first.port} on 127.0.0.1 is already in use: .*PORT`));
    } finally {
      await other.dispose();
    }
  }, 120_000);

  it("names missing and invalid TLS files", async () => {
    const missing = await failedStart({ PORT: String(await freePort()), DATA_DIR: path.join(dir, "tls1"), TLS_CERT_FILE: path.join(dir, "nope.pem"), TLS_KEY_FILE: path.join(dir, "nope.key") });
    expectOneLine(missing, /cannot read TLS_CERT_FILE .*no such file/);
    writeFileSync(path.join(dir, "bad.pem"), "not a certificate\n");
    const invalid = await failedStart({ PORT: String(await freePort()), DATA_DIR: path.join(dir, "tls2"), TLS_CERT_FILE: path.join(dir, "bad.pem"), TLS_KEY_FILE: path.join(dir, "bad.pem") });
    expectOneLine(invalid, /TLS_CERT_FILE and TLS_KEY_FILE do not hold a matching PEM certificate and private key/);
  }, 120_000); // two server processes that start and fail: each takes seconds to load on a busy machine

  it("names an unreachable PostgreSQL server without showing the password", async () => {
    const closed = await freePort();
    const result = await failedStart({ PORT: String(await freePort()), DATA_DIR: path.join(dir, "pg1"), DATABASE_URL: `postgresql://ttn:S3cret@127.0.0.1:${closed}/ttn` });
    expectOneLine(result, new RegExp(`cannot reach PostgreSQL at 127.0.0.1:${closed} .*start it or correct DATABASE_URL`));
    expect(result.stderr).not.toContain("S3cret");
  });

  it.runIf(process.env.TEST_DATABASE_URL)("names a database that does not exist", async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = "/ttnid_no_such_database";
    const result = await failedStart({ PORT: String(await freePort()), DATA_DIR: path.join(dir, "pg2"), DATABASE_URL: url.toString() });
    expectOneLine(result, /database "ttnid_no_such_database" in DATABASE_URL does not exist on .*createdb ttnid_no_such_database/);
  });

  it("keeps serving after all that", async () => {
    const socket = net.connect(first.port, "127.0.0.1");
    await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
    socket.destroy();
    const res = await fetch(`${first.baseUrl}/healthz`);
    expect(res.status).toBe(200);
  });
});
