import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { readFileSync } from "node:fs";
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
export const FIRST_BYTES_TIMEOUT_MS = 10_000;

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  /** Overrides FIRST_BYTES_TIMEOUT_MS (tests use a short one). */
  firstBytesTimeoutMs?: number;
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
    s.once("close", () => { clearTimeout(preface); sessions.delete(s); });
  };

  let front: net.Server;
  if (options.tls) {
    const secure = http2.createSecureServer(
      {
        cert: readFileSync(options.tls.certFile),
        key: readFileSync(options.tls.keyFile),
        allowHTTP1: true,
        handshakeTimeout: firstBytesTimeoutMs, // the socket is destroyed and 'tlsClientError' emitted
      },
      (req, res) => {
        if (req.httpVersionMajor === 2) grpcMessageAsGo(res);
        if (req.httpVersionMajor === 1) trackHttp1(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
        handler(req, res);
      },
    );
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
    const h2 = http2.createServer((req, res) => { grpcMessageAsGo(res); handler(req, res); });
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
    front.once("error", reject);
    front.listen(options.port, options.host, () => { front.off("error", reject); resolve(); });
  });
  const port = (front.address() as net.AddressInfo).port;

  return {
    port,
    async close(graceMs = 10_000) {
      closing = true;
      const stopped = new Promise<void>((resolve) => front.close(() => resolve()));
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
