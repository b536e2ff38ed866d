// The one place where errors become gRPC statuses. Domain code throws ServiceError; anything else is a bug
// and reaches the client as a generic internal error, with details only in the log.
import { randomUUID } from "node:crypto";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { ErrorDetailsSchema, type ErrorDetails } from "../../gen/ttn/lorawan/v3/error_pb.js";
import * as catalog from "../domain/error-catalog.js";
import { ServiceError } from "../domain/errors.js";
import type { Logger } from "../logger.js";

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
  return new ConnectError(err.message, err.code as number, undefined, out);
}

export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ServiceError) throw toConnectError(err);
      if (err instanceof ConnectError) throw err; // raised by the protocol layer (bad encoding, deadline, …)
      const correlationId = randomUUID().replace(/-/g, "");
      logger.error({ err, correlationId, procedure: req.url }, "unexpected error");
      throw toConnectError(catalog.internal(), correlationId);
    }
  };
}
