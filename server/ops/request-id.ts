// Request IDs: every request gets one (the client's X-Request-Id when it is sane, else a new one), the response
// echoes it, and every log line written while the request is handled carries it as `request_id` (the logger
// reads it from here, so code deep in the stack needs no logger passed down).
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export const REQUEST_ID_HEADER = "x-request-id";

const requestScope = new AsyncLocalStorage<string>();

/** A client's ID is kept only when short and plain: it ends up in log lines and a response header. */
const SANE_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && SANE_ID.test(given) ? given : randomUUID();
}

/** Runs `handle` (and everything it starts) as part of the request `id`. */
export function withRequestId<T>(id: string, handle: () => T): T {
  return requestScope.run(id, handle);
}

/** The ID of the request being handled, if any. */
export const currentRequestId = (): string | undefined => requestScope.getStore();
