// The one place where errors become gRPC statuses. Domain code throws ServiceError; anything else is a bug
// and reaches the client as a generic internal error, with details only in the log.
import { randomUUID } from "node:crypto";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { classifyDatabaseError } from "../store/db-errors.js";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { ErrorDetailsSchema, type ErrorDetails } from "../../gen/ttn/lorawan/v3/error_pb.js";
import * as catalog from "../domain/error-catalog.js";
import { ServiceError } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import { REQUEST_ID } from "../ops/request-id.js";

function details(err: ServiceError, correlationId: string): ErrorDetails {
  return create(ErrorDetailsSchema, {
    namespace: err.namespace,
    name: err.name,
    messageFormat: err.messageFormat,
    attributes: JSON.parse(JSON.stringify(err.attributes)) as JsonObject,
    correlationId,
    code: err.code,
    cause: err.cause ? details(err.cause, correlationId) : undefined,
  });
}

export function toConnectError(err: ServiceError, correlationId: string = randomUUID().replace(/-/g, "")): ConnectError {
  const out: ConstructorParameters<typeof ConnectError>[3] = [{ desc: ErrorDetailsSchema, value: details(err, correlationId) }];
  if (err.violations?.length) {
    out.push({
      desc: ViolationsSchema,
      value: create(ViolationsSchema, {
        violations: err.violations.map((v) => ({
          field: { elements: v.field.split(".").map((fieldName) => ({ fieldName })) },
          ruleId: v.reason,
          message: v.message,
        })),
      }),
    });
  }
  return new ConnectError(err.message, err.code as number, retryHeaders(err), out);
}

/** Seconds to wait before retrying, as the error says (rate limits, an unavailable database). */
export function retryAfterOf(err: ServiceError): number | undefined {
  const value = err.attributes.retry_after;
  return typeof value === "number" && value > 0 ? value : undefined;
}

/** `retry-after` (HTTP's) and `x-rate-limit-retry` (upstream's) response metadata, when the error says when. */
function retryHeaders(err: ServiceError): Headers | undefined {
  const seconds = retryAfterOf(err);
  if (seconds === undefined) return undefined;
  return new Headers({ "retry-after": String(seconds), "x-rate-limit-retry": String(seconds) });
}

/** How long a client should wait before retrying a call that found the database unavailable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The typed error for a failure that is not a bug of ours: the database unreachable (14, retryable) or refusing
 * a value that only client input can carry (3). Undefined for anything else, which is an internal error.
 */
export function infrastructureError(err: unknown): ServiceError | undefined {
  switch (classifyDatabaseError(err)) {
    case "unavailable":
      return catalog.databaseUnavailable({ retry_after: DATABASE_RETRY_AFTER_SECONDS });
    case "rejected_value":
      return catalog.invalidValue();
    default:
      return undefined;
  }
}

export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ServiceError) throw toConnectError(err);
      if (err instanceof ConnectError) throw err; // raised by the protocol layer (bad encoding, deadline, …)
      const known = infrastructureError(err);
      const request_id = req.contextValues.get(REQUEST_ID);
      if (known) {
        logger.warn({ err, request_id, procedure: req.url, error: known.fullName }, "request failed on the database");
        throw toConnectError(known);
      }
      const correlationId = randomUUID().replace(/-/g, "");
      logger.error({ err, request_id, correlationId, procedure: req.url }, "unexpected error");
      throw toConnectError(catalog.internal(), correlationId);
    }
  };
}
