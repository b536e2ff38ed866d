// The client's network address, which per-address limits count by (password guesses, sign-ups).
import type http from "node:http";
import type http2 from "node:http2";

/**
 * The socket's peer; with `trustProxy`, the last `X-Forwarded-For` hop (what our own proxy saw; earlier hops
 * are whatever the client wrote). IPv4-mapped IPv6 addresses are shown as IPv4.
 */
export function clientAddress(req: http.IncomingMessage | http2.Http2ServerRequest, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const last = forwarded[forwarded.length - 1];
    if (last && last.length <= 64) return last;
  }
  return (req.socket?.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}
