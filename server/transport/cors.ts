import type http from "node:http";
import type http2 from "node:http2";
import { cors } from "@connectrpc/connect";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

// PUT, PATCH and DELETE are the HTTP API's; X-Warning and X-Rate-Limit-* are the names it gives response headers.
// X-CSRF-Token is not checked here (the Origin is), but upstream's JavaScript SDK sends it on every call of a
// cookie session, so a preflight that refused it would stop a console on another origin outright.
const ALLOW_METHODS = [...cors.allowedMethods, "PUT", "PATCH", "DELETE"].join(", ");
const ALLOW_HEADERS = [...cors.allowedHeaders, "Authorization", "X-CSRF-Token"].join(", ");
const EXPOSE_HEADERS = [
  ...cors.exposedHeaders, "X-Total-Count", "Warning", "X-Warning",
  "X-Rate-Limit-Limit", "X-Rate-Limit-Available", "X-Rate-Limit-Reset", "X-Rate-Limit-Retry",
].join(", ");

/**
 * CORS for the configured browser origins only. Credentials are allowed so a console on another origin can use
 * the session cookie; that is safe only because the origin list is explicit ("*" never echoes credentials).
 * Returns true when the request was a preflight and has been answered.
 */
export function handleCors(req: Req, res: Res, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  res.setHeader("Vary", "Origin");
  const wildcard = allowed.includes("*");
  if (!wildcard && !allowed.includes(origin)) return false;
  res.setHeader("Access-Control-Allow-Origin", wildcard ? "*" : origin);
  if (!wildcard) res.setHeader("Access-Control-Allow-Credentials", "true");
  res.setHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
  if (req.method !== "OPTIONS" || !req.headers["access-control-request-method"]) return false;
  res.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
  res.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS);
  res.setHeader("Access-Control-Max-Age", "7200");
  res.statusCode = 204;
  res.end();
  return true;
}
