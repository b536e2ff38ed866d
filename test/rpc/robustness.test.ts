// What a hostile or broken client can send over a raw socket must cost it its own request or connection, never
// the process (a throw out of the 'request' event ends Node) and never a file descriptor held forever.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type Listener } from "../../server/transport/listener.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";

const RPC_PATH = "/ttn.lorawan.v3.EntityAccess/AuthInfo";

/** Sends `request` as is and collects what the server writes until it closes the connection (or `waitMs` passes). */
function exchange(port: number, request: string, waitMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => { socket.destroy(); resolve(received); }, waitMs);
    socket.on("data", (chunk) => { received += chunk.toString("latin1"); });
    socket.on("error", (err) => { clearTimeout(timer); reject(err); });
    socket.on("close", () => { clearTimeout(timer); resolve(received); });
    socket.write(request);
  });
}

/** Opens a TCP connection that sends `bytes` (possibly nothing) and resolves once the server has closed it. */
function closedByServer(port: number, bytes: string, limitMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => { if (bytes) socket.write(bytes); });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connection still open after ${limitMs} ms`)); }, limitMs);
    socket.on("error", () => {}); // a reset is a close too
    socket.on("close", () => { clearTimeout(timer); resolve(); });
    socket.resume(); // HTTP/2 answers with SETTINGS and GOAWAY before closing; the end is seen only after them
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One HTTP/2 GET on `session`; resolves with the :status. */
function h2Get(session: http2.ClientHttp2Session, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "GET", ":path": urlPath });
    stream.on("response", (headers) => resolve(Number(headers[":status"])));
    stream.on("error", reject);
    stream.resume();
    stream.end();
  });
}

describe("malformed requests", () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(databaseBackends()[0]!); });
  afterAll(async () => { await server?.close(); });

  const healthy = async () => {
    const res = await fetch(`${server.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  };

  for (const host of ["a b", "x:99999", ""]) {
    it(`answer 400 to an RPC with Host ${JSON.stringify(host)} and the server stays up`, async () => {
      const response = await exchange(server.port, [
        `POST ${RPC_PATH} HTTP/1.1`, `Host: ${host}`, "Content-Type: application/json", "Content-Length: 2", "Connection: close", "", "{}",
      ].join("\r\n"));
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      await healthy();
    });
  }

  it("answers an HTTP/1.0 RPC without Host and the server stays up", async () => {
    const response = await exchange(server.port, [
      `POST ${RPC_PATH} HTTP/1.0`, "Content-Type: application/json", "Content-Length: 2", "", "{}",
    ].join("\r\n"));
    expect(response).toMatch(/^HTTP\/1\.[01] 400 /);
    await healthy();
  });
});

describe("connections that never say what they are", () => {
  const TIMEOUT_MS = 300;
  const ok = (_req: unknown, res: { end(body: string): void }) => res.end("ok");
  let dir: string;
  let cert: string;
  let key: string;
  const open: Listener[] = [];
  const start = async (options: { tls?: boolean; firstBytesTimeoutMs?: number } = {}) => {
    const listener = await listen(ok as never, {
      host: "127.0.0.1", port: 0, firstBytesTimeoutMs: options.firstBytesTimeoutMs ?? TIMEOUT_MS,
      ...(options.tls ? { tls: { certFile: cert, keyFile: key } } : {}),
    });
    open.push(listener);
    return listener;
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ttnid-robust-"));
    cert = path.join(dir, "cert.pem");
    key = path.join(dir, "key.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
  });
  afterAll(async () => {
    await Promise.all(open.map((l) => l.close(100)));
    rmSync(dir, { recursive: true, force: true });
  });

  it("closes a cleartext connection that sends nothing, or only the start of a preface", async () => {
    const { port } = await start();
    for (const bytes of ["", "P", "PR"]) {
      await closedByServer(port, bytes);
    }
  });

  it("serves other clients while one has sent only the first byte of a preface", async () => {
    const { port } = await start({ firstBytesTimeoutMs: 10_000 });
    const stalled = net.connect(port, "127.0.0.1", () => stalled.write("P"));
    stalled.on("error", () => {});
    try {
      await sleep(50);
      // Before the fix this byte made the listener spin on 'readable' and nothing else ran (not even this timeout).
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
      expect(await res.text()).toBe("ok");
    } finally {
      stalled.destroy();
    }
  });

  it("closes an HTTP/2 connection stuck mid-preface, keeps one that completed it", async () => {
    const { port } = await start();
    await closedByServer(port, "PRI * HTTP/2.0\r\n");
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      expect(await h2Get(session, "/")).toBe(200);
      await sleep(TIMEOUT_MS * 3);
      expect(session.closed || session.destroyed).toBe(false);
      expect(await h2Get(session, "/")).toBe(200);
    } finally {
      session.close();
    }
  });

  it("closes a TLS connection stuck before its handshake; ALPN clients still work past the timeout", async () => {
    const { port } = await start({ tls: true });
    await closedByServer(port, "");

    const session = http2.connect(`https://localhost:${port}`, { ca: [readFileSync(cert)] });
    try {
      expect(await h2Get(session, "/")).toBe(200);
      await sleep(TIMEOUT_MS * 3);
      expect(await h2Get(session, "/")).toBe(200);
      expect(session.alpnProtocol).toBe("h2");
    } finally {
      session.close();
    }
    const h1 = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca: [readFileSync(cert)], ALPNProtocols: ["http/1.1"] }, () => {
        expect(socket.alpnProtocol).toBe("http/1.1");
        socket.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      });
      let received = "";
      socket.on("data", (c) => { received += c.toString("latin1"); });
      socket.on("error", reject);
      socket.on("close", () => resolve(received));
    });
    expect(h1).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("shutdown closes connections still in the TLS handshake instead of waiting for them", async () => {
    const listener = await start({ tls: true, firstBytesTimeoutMs: 60_000 });
    const socket = net.connect(listener.port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    await sleep(50); // the server has accepted it
    // Waiting for the handshake would take the 60 s first-bytes timeout, past this test's own timeout.
    await listener.close(60_000);
    socket.destroy();
  });
});

