// Request IDs: every request gets one (the client's X-Request-Id when it is sane, else a new one), the response
// echoes it, and every log line written for the request carries it as `request_id`.
//
// The ID travels explicitly (on the Node request, and in the RPC context), not in an AsyncLocalStorage: on Node 20
// an active AsyncLocalStorage runs a hook for every promise the process creates (an authenticated Get cost 8–33 %
// more server CPU with it, in A/B runs on a busy machine). Code that logs for a request takes its logger from
// `requestLogger`.
import { createContextKey } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** A client's ID is kept only when short and plain: it ends up in log lines and a response header. */
const SANE_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && SANE_ID.test(given) ? given : randomUUID();
}

/** The request ID in an RPC's context (set by the transport for every call). */
export const REQUEST_ID = createContextKey<string | undefined>(undefined, { description: "request ID" });

const ids = new WeakMap<object, string>();

/** Remembers the ID of a Node request, for the routes and the RPC context that handle it. */
export function tagRequest(req: object, id: string): void {
  ids.set(req, id);
}

/** The ID given to a Node request by `tagRequest`. */
export const requestIdOf = (req: object): string | undefined => ids.get(req);

/** `logger`, with every line naming the request `id` (no request: `logger` itself). */
export function requestLogger(logger: Logger, id: string | undefined): Logger {
  return id === undefined ? logger : logger.child({ request_id: id });
}
