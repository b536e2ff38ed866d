// Errors of the HTTP API as grpc-gateway writes them: the HTTP status from the gRPC code, and the status as JSON,
// `{"code": 5, "message": "error:…", "details": [{"@type": "type.googleapis.com/ttn.lorawan.v3.ErrorDetails", …}]}`.
import { create, toJson, type JsonObject, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { anyPack, AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { typeFirst } from "./any-json.js";

/** grpc-gateway's `HTTPStatusFromCode`. */
const HTTP_STATUS: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

export function httpStatusFromCode(code: Code): number {
  return HTTP_STATUS[code] ?? 500;
}

/** A detail as an Any, whether it was raised here (schema and message) or decoded from a handler's response. */
function detailAny(detail: ConnectError["details"][number]): Any {
  if ("desc" in detail) return anyPack(detail.desc, create(detail.desc, detail.value));
  return create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value });
}

export function errorBody(err: ConnectError, registry: Registry): JsonObject {
  const details: JsonValue[] = [];
  for (const detail of err.details) {
    try {
      details.push(typeFirst(toJson(AnySchema, detailAny(detail), { registry, useProtoFieldName: true })));
    } catch {
      // A detail whose type the registry lacks cannot be written as JSON; the code and message still say what failed.
    }
  }
  // protojson leaves an empty repeated field out, so upstream's body has no `details` rather than `[]`.
  return { code: err.code, message: err.rawMessage, ...(details.length ? { details } : {}) };
}

/** The body grpc-gateway gives requests that match no route (404) or only other methods' routes (405). */
export function routingErrorBody(code: Code.NotFound | Code.Unimplemented): JsonObject {
  return { code, message: code === Code.NotFound ? "Not Found" : "Method Not Allowed" };
}

/**
 * grpc-gateway's error handler puts the status message of an UNAUTHENTICATED error in `WWW-Authenticate`, so
 * upstream's 401s carry one. Only printable ASCII can go in a header.
 */
export function wwwAuthenticate(err: ConnectError): string | undefined {
  if (err.code !== Code.Unauthenticated) return undefined;
  return err.rawMessage.replace(/[^\x20-\x7e]/g, "?");
}
