import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import type { Socket } from "node:net";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface Listener {
  port: number;
  /** Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * How long a new connection may take to say what it is: the first bytes of a cleartext connection, the TLS
 * handshake, or the HTTP/2 connection preface (up to the client's SETTINGS frame). Node's header and request
 * timeouts only start once the HTTP server owns the socket, so before that a client that connects and sends
 * nothing (or a partial preface) would hold a file descriptor forever; enough of them exhaust the process.
 * Ten seconds is far more than any real client needs for a round trip or two.
 */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

/** Timeouts and bounds of every connection, whatever its protocol (HTTP/1.1, HTTP/2, cleartext or TLS). */
export interface ConnectionLimits {
  /** A request's header block must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A request must arrive whole within this; on HTTP/2 a call (stream) must also be answered within it. */
  requestTimeoutMs: number;
  /** An HTTP/1.1 connection idle between requests is closed after this. */
  keepAliveTimeoutMs: number;
  /** An HTTP/2 connection without an open stream is closed (GOAWAY) after this. */
  http2IdleTimeoutMs: number;
  /** Streams one HTTP/2 connection may have open at once, advertised in SETTINGS. */
  http2MaxConcurrentStreams: number;
  /** Streams a client may cancel per minute on one HTTP/2 connection before it gets GOAWAY (rapid reset). */
  http2MaxResetsPerMinute: number;
}

/**
 * Upstream's web server allows 5 s for headers and 120 s for a request; a little more room for headers over slow
 * links costs nothing while every connection is bounded. 100 concurrent streams is what HTTP/2 recommends as the
 * least a server should allow; a client that cancels more than ten streams a second is not a real client.
 */
export const CONNECTION_DEFAULTS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  http2IdleTimeoutMs: 120_000,
  http2MaxConcurrentStreams: 100,
  http2MaxResetsPerMinute: 600,
};

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  /** Overrides FIRST_BYTES_TIMEOUT_MS (tests use a short one). */
  firstBytesTimeoutMs?: number;
  /** Defaults to CONNECTION_DEFAULTS. */
  limits?: ConnectionLimits;
}

/**
 * How often Node looks for HTTP/1.1 connections past their header or request deadline: a quarter of the shorter
 * one, so a deadline is enforced at most 25 % late, between 50 ms and Node's own 30 s.
 */
const checkingInterval = (l: ConnectionLimits) => Math.min(30_000, Math.max(50, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4)));

/** Applies the HTTP/1.1 limits to an `http` server or to the HTTP/1.1 side of an `http2` secure server. */
function limitHttp1(server: http.Server | http2.Http2SecureServer, l: ConnectionLimits): void {
  const s = server as http.Server;
  s.headersTimeout = l.headersTimeoutMs;
  s.requestTimeout = l.requestTimeoutMs;
  s.keepAliveTimeout = l.keepAliveTimeoutMs;
  // A client that stops reading a response (or sending a body) holds buffers; silence this long ends it.
  s.timeout = l.requestTimeoutMs;
  (s as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = checkingInterval(l);
}

/**
 * Reads the certificate and key and checks that they make a TLS context, so bad files stop start-up at once
 * (before the database is opened) with the file's own error.
 */
export function readTlsFiles(files: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const cert = readFileSync(files.certFile);
  const key = readFileSync(files.keyFile);
  tls.createSecureContext({ cert, key });
  return { cert, key };
}

/**
 * One TCP port for every protocol. Cleartext: the first bytes tell HTTP/2 (prior-knowledge preface "PRI * HTTP/2.0")
 * from HTTP/1.1, because Node's http2 server cannot fall back to HTTP/1.1 without TLS. With TLS, ALPN does it.
 */
export async function listen(
  handler: Handler,
  options: ListenOptions,
): Promise<Listener> {
  const firstBytesTimeoutMs = options.firstBytesTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS;
  const limits = options.limits ?? CONNECTION_DEFAULTS;
  const http2Options = { settings: { maxConcurrentStreams: limits.http2MaxConcurrentStreams } };
  const sockets = new Set<Socket>();
  // Connections whose protocol is not known yet (cleartext: sniffing; TLS: handshaking). They carry no request,
  // so shutdown destroys them at once instead of waiting for them.
  const pending = new Set<Socket>();
  const sessions = new Set<http2.Http2Session>();
  const busy = new WeakMap<Socket, number>(); // in-flight HTTP/1.1 requests per socket
  const http2Sockets = new WeakSet<Socket>(); // closed through their session, not directly
  let closing = false;

  const trackHttp1 = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    if (closing) res.setHeader("connection", "close");
    res.once("close", () => {
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      if (closing && left === 0) socket.end();
    });
  };

  const trackSession = (s: http2.Http2Session) => {
    sessions.add(s);
    if (closing) s.close();
    // The socket was handed over after its first bytes; the preface must still complete in time.
    const preface = setTimeout(() => s.destroy(), firstBytesTimeoutMs);
    s.once("remoteSettings", () => clearTimeout(preface));
    const bounds = boundSession(s, limits);
    s.once("close", () => { clearTimeout(preface); bounds.stop(); sessions.delete(s); });
  };

  let front: net.Server;
  let stopHttp1 = () => {};
  if (options.tls) {
    const secure = http2.createSecureServer(
      {
        ...http2Options,
        ...readTlsFiles(options.tls),
        allowHTTP1: true,
        handshakeTimeout: firstBytesTimeoutMs, // the socket is destroyed and 'tlsClientError' emitted
      },
      (req, res) => {
        if (req.httpVersionMajor === 2) grpcMessageAsGo(res);
        if (req.httpVersionMajor === 1) trackHttp1(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
        handler(req, res);
      },
    );
    limitHttp1(secure, limits);
    secure.on("session", trackSession);
    // The TLS socket that 'secureConnection' gives is a new object over the same connection; the TCP 4-tuple
    // tells which raw socket finished its handshake.
    const handshaking = new Map<string, Socket>();
    const tuple = (s: Socket) => `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
    secure.on("connection", (raw: Socket) => {
      const key = tuple(raw);
      handshaking.set(key, raw);
      pending.add(raw);
      raw.once("close", () => {
        pending.delete(raw);
        if (handshaking.get(key) === raw) handshaking.delete(key);
      });
    });
    secure.on("secureConnection", (socket) => {
      if (socket.alpnProtocol === "h2") http2Sockets.add(socket);
      const key = tuple(socket);
      const raw = handshaking.get(key);
      if (raw) { handshaking.delete(key); pending.delete(raw); }
    });
    front = secure;
  } else {
    const h1 = http.createServer((req, res) => { trackHttp1(req, res); handler(req, res); });
    limitHttp1(h1, limits);
    // Node enforces the header and request deadlines only for a server that listened; this one gets its
    // connections from the sniffer below, so it is told it listens to start those checks.
    h1.emit("listening");
    stopHttp1 = () => h1.close(); // ends the checks (and reports that it never listened, which is true)
    const h2 = http2.createServer(http2Options, (req, res) => { grpcMessageAsGo(res); handler(req, res); });
    h2.on("session", trackSession);
    front = net.createServer((socket) => {
      socket.on("error", () => {}); // a reset before the protocol is known must not crash the process
      pending.add(socket);
      const silent = setTimeout(() => socket.destroy(), firstBytesTimeoutMs);
      socket.once("close", () => { clearTimeout(silent); pending.delete(socket); });
      // The bytes are kept here until the protocol is known, not pushed back: unshifting a short head made the
      // stream emit 'readable' again at once, so a client that sent just "P" kept the event loop spinning forever.
      let head = Buffer.alloc(0);
      socket.on("readable", function sniff() {
        for (let chunk: Buffer | null; (chunk = socket.read()) !== null;) head = Buffer.concat([head, chunk]);
        if (head.length < 3 && "PRI".startsWith(head.toString("latin1"))) return; // maybe a preface: wait for more
        socket.off("readable", sniff);
        socket.unshift(head);
        const isHttp2 = head.toString("latin1").startsWith("PRI");
        clearTimeout(silent); // from here on the HTTP server's own timeouts (and the preface timer) apply
        pending.delete(socket);
        if (isHttp2) http2Sockets.add(socket);
        (isHttp2 ? h2 : h1).emit("connection", socket);
      });
    });
  }
  // With TLS the sockets that carry requests are the TLS ones, not the raw TCP connections.
  front.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  front.on("tlsClientError", () => {}); // a bad handshake is the client's problem, not a crash

  await new Promise<void>((resolve, reject) => {
    front.once("error", (err) => { stopHttp1(); reject(err); });
    front.listen(options.port, options.host, () => {
      front.removeAllListeners("error");
      // Once listening, an error is one failed accept (e.g. EMFILE when descriptors run out): that client is not
      // served, everyone else is, and the process must not end over it.
      front.on("error", () => {});
      resolve();
    });
  });
  const port = (front.address() as net.AddressInfo).port;

  return {
    port,
    async close(graceMs = 10_000) {
      closing = true;
      const stopped = new Promise<void>((resolve) => front.close(() => resolve()));
      stopHttp1();
      for (const session of sessions) session.close(); // GOAWAY: running streams finish, no new ones start
      for (const socket of pending) socket.destroy(); // no request on them yet
      for (const socket of sockets) {
        if (!http2Sockets.has(socket) && (busy.get(socket) ?? 0) === 0) socket.end(); // idle HTTP/1.1
      }
      const force = setTimeout(() => { for (const socket of [...sockets, ...pending]) socket.destroy(); }, graceMs);
      await stopped;
      clearTimeout(force);
    },
  };
}

/**
 * The HTTP/2 bounds of one session: it is closed after `http2IdleTimeoutMs` without an open stream (PINGs do not
 * count, so a client cannot hold a connection by pinging), each stream is reset when it is not done within
 * `requestTimeoutMs` (a body trickled in, or a response never read), and a session whose client cancels streams
 * faster than `http2MaxResetsPerMinute` (a token bucket of that size, refilled over a minute) gets GOAWAY with
 * ENHANCE_YOUR_CALM and is dropped: the "rapid reset" attack makes the server start work it never finishes.
 */
function boundSession(session: http2.Http2Session, l: ConnectionLimits): { stop(): void } {
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => session.close(), l.http2IdleTimeoutMs);
  };
  armIdle();
  let tokens = l.http2MaxResetsPerMinute;
  let refilledAt = Date.now();
  let calmedDown = false;
  const onReset = () => {
    const now = Date.now();
    tokens = Math.min(l.http2MaxResetsPerMinute, tokens + ((now - refilledAt) * l.http2MaxResetsPerMinute) / 60_000);
    refilledAt = now;
    if (--tokens >= 0 || calmedDown) return;
    calmedDown = true;
    session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    // Streams still open are the attacker's; give the GOAWAY a moment to leave, then drop the connection.
    setTimeout(() => session.destroy(), 100).unref();
  };
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(idle);
    const deadline = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), l.requestTimeoutMs);
    stream.once("close", () => {
      clearTimeout(deadline);
      if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) onReset();
      if (--open === 0 && !session.closed) armIdle();
    });
  });
  return { stop: () => clearTimeout(idle) };
}

/**
 * Connect percent-encodes `grpc-message` with encodeURIComponent (":" → "%3A"), but @grpc/grpc-js decodes it with
 * decodeURI, so its clients saw "error%3Apkg%2F…". Re-encode as grpc-go (upstream) does: only bytes outside
 * printable ASCII, and "%", are escaped; every client decodes that the same way.
 */
function grpcMessageAsGo(res: http2.Http2ServerResponse): void {
  const reencode = (headers: http.OutgoingHttpHeaders) => {
    const message = headers["grpc-message"];
    if (typeof message !== "string") return;
    let decoded: string;
    try { decoded = decodeURIComponent(message); } catch { return; }
    let out = "";
    for (const byte of Buffer.from(decoded, "utf8")) {
      out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    headers["grpc-message"] = out;
  };
  const addTrailers = res.addTrailers.bind(res);
  res.addTrailers = (trailers) => { reencode(trailers as http.OutgoingHttpHeaders); addTrailers(trailers); };
}
