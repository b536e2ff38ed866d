// Account-app errors on HTTP: the status and upstream's JSON shape
// `{code, message, details: [ErrorDetails]}`, so web clients parse them like REST gateway errors.
import type http from "node:http";
import type http2 from "node:http2";
import { randomUUID } from "node:crypto";
import * as catalog from "../domain/error-catalog.js";
import { ServiceError, type ErrorDetailsShape } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import { infrastructureError, retryAfterOf } from "../transport/errors.js";

type Res = http.ServerResponse | http2.Http2ServerResponse;

const STATUS_BY_CODE: Record<number, number> = { 3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 14: 503, 16: 401 };

export const httpStatus = (code: number): number => STATUS_BY_CODE[code] ?? 500;

function detailsJson(d: ErrorDetailsShape, correlationId: string): Record<string, unknown> {
  return {
    namespace: d.namespace,
    name: d.name,
    message_format: d.messageFormat,
    attributes: d.attributes,
    correlation_id: correlationId,
    code: d.code,
    ...(d.cause ? { cause: detailsJson(d.cause, correlationId) } : {}),
  };
}

function errorBody(err: ServiceError, correlationId: string): Record<string, unknown> {
  return {
    code: err.code,
    message: err.message,
    details: [{ "@type": "type.googleapis.com/ttn.lorawan.v3.ErrorDetails", ...detailsJson(err.toDetails(), correlationId) }],
  };
}

/** Writes `err` as the response; anything that is not a ServiceError is logged and answered as internal. */
export function sendError(res: Res, err: unknown, logger: Logger): void {
  const correlationId = randomUUID().replace(/-/g, "");
  let service: ServiceError;
  const known = err instanceof ServiceError ? err : infrastructureError(err);
  if (known) {
    service = known;
    if (!(err instanceof ServiceError)) logger.warn({ err, correlationId, error: known.fullName }, "account request failed on the database");
  } else {
    logger.error({ err, correlationId }, "unexpected error in account app");
    service = catalog.internal();
  }
  const retryAfter = retryAfterOf(service);
  if (retryAfter !== undefined) res.setHeader("retry-after", String(retryAfter));
  sendJson(res, httpStatus(service.code), errorBody(service, correlationId));
}

export function sendJson(res: Res, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(JSON.stringify(body));
}
