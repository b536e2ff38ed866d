// Slow and idle connections are closed within their (here shortened) timeouts whatever the protocol, HTTP/2
// advertises a bounded stream count, and a client that opens and cancels streams in a burst (rapid reset) gets
// GOAWAY. The listener is exercised directly with a trivial handler, on loopback, with real sockets.
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type ConnectionLimits, type Listener } from "../../../server/transport/listener.js";

const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 1_200,
  keepAliveTimeoutMs: 300,
  http2IdleTimeoutMs: 400,
  http2MaxConcurrentStreams: 50,
  http2MaxResetsPerMinute: 120,
};

/** Resolves with how long after `start` the server closed `socket` (rejects if still open after `limitMs`). */
function closedWithin(socket: net.Socket, start: number, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(Date.now() - start);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`still open after ${limitMs} ms`)); }, limitMs);
    socket.on("error", () => {});
    socket.once("close", () => { clearTimeout(timer); resolve(Date.now() - start); });
    socket.resume();
  });
}

const connect = (port: number) => new Promise<net.Socket>((resolve, reject) => {
  const s = net.connect(port, "127.0.0.1", () => resolve(s));
  s.once("error", reject);
});

describe("connection limits", () => {
  let listener: Listener;
  let port: number;
  beforeAll(async () => {
    // Answers after reading the whole body, as the RPC handler does.
    listener = await listen((req, res) => {
      req.resume();
      req.on("end", () => res.end("ok"));
    }, { host: "127.0.0.1", port: 0, limits: LIMITS, firstBytesTimeoutMs: 400 });
    port = listener.port;
  });
  afterAll(async () => { await listener?.close(100); });

  it("closes a slowloris connection that trickles its headers (HTTP/1.1)", async () => {
    const socket = await connect(port);
    const start = Date.now();
    socket.write("POST / HTTP/1.1\r\nHost: x\r\n");
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write("X-Slow: 1\r\n"); }, 100);
    try {
      const ms = await closedWithin(socket, start, 5_000);
      expect(ms).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
    } finally {
      clearInterval(trickle);
    }
  });

  it("closes a connection that trickles its body past the request timeout (HTTP/1.1)", async () => {
    const socket = await connect(port);
    const start = Date.now();
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write("a"); }, 100);
    try {
      const ms = await closedWithin(socket, start, 6_000);
      expect(ms).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 50);
    } finally {
      clearInterval(trickle);
    }
  });

  it("closes an idle HTTP/1.1 keep-alive connection", async () => {
    const socket = await connect(port);
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const answered = await new Promise<number>((resolve) => socket.once("data", () => resolve(Date.now())));
    const ms = await closedWithin(socket, answered, 5_000);
    expect(ms).toBeGreaterThanOrEqual(LIMITS.keepAliveTimeoutMs - 50);
  });

  it("closes an idle HTTP/2 connection with GOAWAY, PINGs or not, and advertises the stream limit", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    expect(settings.maxConcurrentStreams).toBe(LIMITS.http2MaxConcurrentStreams);
    // One call, then silence but for PINGs: the idle clock counts from the last stream.
    await new Promise<void>((resolve, reject) => {
      const stream = session.request({ ":path": "/", ":method": "GET" });
      stream.on("error", reject);
      stream.resume();
      stream.on("end", () => resolve());
    });
    const start = Date.now();
    const pings = setInterval(() => { if (!session.closed && !session.destroyed) session.ping(() => {}); }, 100);
    try {
      const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
      const closed = new Promise<number>((resolve) => session.once("close", () => resolve(Date.now() - start)));
      const ms = await Promise.race([closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error("HTTP/2 session still open")), 5_000))]);
      expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
      expect(ms).toBeGreaterThanOrEqual(LIMITS.http2IdleTimeoutMs - 50);
    } finally {
      clearInterval(pings);
      session.destroy();
    }
  });

  it("resets an HTTP/2 stream whose body trickles past the request timeout", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const stream = session.request({ ":path": "/", ":method": "POST" });
      stream.on("error", () => {});
      const trickle = setInterval(() => { if (!stream.destroyed) stream.write("a"); }, 100);
      const start = Date.now();
      const code = await new Promise<number>((resolve, reject) => {
        stream.once("close", () => resolve(stream.rstCode ?? -1));
        setTimeout(() => reject(new Error("stream still open")), 6_000);
      });
      clearInterval(trickle);
      expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
      expect(Date.now() - start).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 50);
    } finally {
      session.destroy();
    }
  });

  it("answers a rapid-reset burst with GOAWAY (ENHANCE_YOUR_CALM) and keeps serving others", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    await new Promise((resolve) => session.once("remoteSettings", resolve));
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
    const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
    let opened = 0;
    try {
      for (let i = 0; i < 2_000 && !session.closed && !session.destroyed; i++) {
        const stream = session.request({ ":path": "/", ":method": "POST" });
        stream.on("error", () => {});
        stream.close(http2.constants.NGHTTP2_CANCEL);
        opened++;
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      const code = await Promise.race([goaway, new Promise<number>((_, reject) => setTimeout(() => reject(new Error("no GOAWAY")), 5_000))]);
      expect(code).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      await closed;
      expect(opened).toBeLessThan(2_000);
    } finally {
      session.destroy();
    }
    // Another client is served as usual.
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("ok");
  });
});
