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
 * One TCP port for every protocol. Cleartext: the first bytes tell HTTP/2 (prior-knowledge preface "PRI * HTTP/2.0")
 * from HTTP/1.1, because Node's http2 server cannot fall back to HTTP/1.1 without TLS. With TLS, ALPN does it.
 */
export async function listen(
  handler: Handler,
  options: { host: string; port: number; tls?: { certFile: string; keyFile: string } },
): Promise<Listener> {
  const sockets = new Set<Socket>();
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

  let front: net.Server;
  if (options.tls) {
    const secure = http2.createSecureServer(
      { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile), allowHTTP1: true },
      (req, res) => {
        if (req.httpVersionMajor === 2) grpcMessageAsGo(res);
        if (req.httpVersionMajor === 1) trackHttp1(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
        handler(req, res);
      },
    );
    secure.on("session", (s) => { sessions.add(s); s.once("close", () => sessions.delete(s)); });
    secure.on("secureConnection", (socket) => { if (socket.alpnProtocol === "h2") http2Sockets.add(socket); });
    front = secure;
  } else {
    const h1 = http.createServer((req, res) => { trackHttp1(req, res); handler(req, res); });
    const h2 = http2.createServer((req, res) => { grpcMessageAsGo(res); handler(req, res); });
    h2.on("session", (s) => { sessions.add(s); s.once("close", () => sessions.delete(s)); });
    front = net.createServer((socket) => {
      socket.on("error", () => {}); // a reset before the protocol is known must not crash the process
      socket.once("readable", function sniff() {
        const head: Buffer | null = socket.read(3) ?? socket.read();
        if (!head) { socket.once("readable", sniff); return; }
        socket.unshift(head);
        if (head.length < 3 && "PRI".startsWith(head.toString("latin1"))) { socket.once("readable", sniff); return; }
        const isHttp2 = head.toString("latin1").startsWith("PRI");
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
      for (const socket of sockets) {
        if (!http2Sockets.has(socket) && (busy.get(socket) ?? 0) === 0) socket.end(); // idle HTTP/1.1
      }
      const force = setTimeout(() => { for (const socket of sockets) socket.destroy(); }, graceMs);
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
