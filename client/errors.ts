// One error type for every failure the SDK reports, so applications classify errors in one place: RPC errors
// (Connect, gRPC-Web, gRPC) and account-endpoint errors alike carry the gRPC code, the upstream error name
// (`namespace:name`), its attributes and the field violations of a rejected request.
import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { ErrorDetailsSchema, type ErrorDetails } from "../gen/ttn/lorawan/v3/error_pb.js";

export { Code };

export interface FieldViolation {
  /** Proto field path with proto names, e.g. `user.primary_email_address`. */
  field: string;
  message: string;
  /** The validation rule that failed, e.g. `string.email`. */
  rule: string;
}

export interface ErrorCause {
  name: string;
  message: string;
  attributes: Record<string, unknown>;
}

export interface IdentityErrorInit {
  code: Code;
  message: string;
  errorName?: string;
  attributes?: Record<string, unknown>;
  violations?: FieldViolation[];
  correlationId?: string;
  causes?: ErrorCause[];
  metadata?: Headers;
  cause?: unknown;
}

export class IdentityError extends Error {
  /** The gRPC status code (`Code` of @connectrpc/connect). */
  readonly code: Code;
  /** `namespace:name` of upstream's error, e.g. `pkg/identityserver:user_not_found`; the code's name when the server sent no details. */
  override readonly name: string;
  /** The server's message without the `[code]` prefix. */
  readonly rawMessage: string;
  readonly attributes: Record<string, unknown>;
  readonly violations: FieldViolation[];
  readonly correlationId: string;
  /** The chain of underlying errors the server reported (outermost first, this error excluded). */
  readonly causes: ErrorCause[];
  /** Response headers and trailers of the failed call. */
  readonly metadata: Headers;

  constructor(init: IdentityErrorInit) {
    super(init.message, { cause: init.cause });
    Object.setPrototypeOf(this, new.target.prototype);
    this.code = init.code;
    this.name = init.errorName || codeName(init.code);
    this.rawMessage = init.message;
    this.attributes = init.attributes ?? {};
    this.violations = init.violations ?? [];
    this.correlationId = init.correlationId ?? "";
    this.causes = init.causes ?? [];
    this.metadata = init.metadata ?? new Headers();
  }

  /** The gRPC code as text: `not_found`, `invalid_argument`, … */
  get codeName(): string {
    return codeName(this.code);
  }

  /** True when this error, or one of its causes, has the given `namespace:name`. */
  is(errorName: string): boolean {
    return this.name === errorName || this.causes.some((c) => c.name === errorName);
  }

  /**
   * The fields a request was rejected for, with a message each: the violations, plus the `field` attribute
   * that upstream's generic validation errors carry.
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.violations) out[v.field] ??= v.message;
    const field = this.attributes.field;
    if (typeof field === "string" && field && !(field in out)) out[field] = this.rawMessage;
    return out;
  }

  /** Converts whatever an RPC threw (ConnectError or anything else) into an IdentityError. */
  static from(reason: unknown): IdentityError {
    if (reason instanceof IdentityError) return reason;
    if (reason instanceof ConnectError && reason.cause instanceof IdentityError) return reason.cause;
    const err = ConnectError.from(reason);
    const details = err.findDetails(ErrorDetailsSchema)[0];
    const violations = err.findDetails(ViolationsSchema).flatMap((v) =>
      v.violations.map((violation) => ({
        field: violation.field?.elements.map((e) => e.fieldName).join(".") ?? "",
        message: violation.message,
        rule: violation.ruleId,
      })),
    );
    return new IdentityError({
      code: err.code,
      message: err.rawMessage,
      errorName: details ? `${details.namespace}:${details.name}` : undefined,
      attributes: details?.attributes ? { ...details.attributes } : {},
      violations,
      correlationId: details?.correlationId,
      causes: details ? causeChain(details.cause) : [],
      metadata: err.metadata,
      cause: err,
    });
  }

  /** Converts an account endpoint's JSON error body (`{code, message, details: [ErrorDetails]}`). */
  static fromHttp(status: number, body: unknown): IdentityError {
    const b = (body ?? {}) as { code?: number; message?: string; details?: Array<Record<string, unknown>> };
    const d = b.details?.[0];
    const causes: ErrorCause[] = [];
    for (let c = d?.cause as Record<string, unknown> | undefined; c; c = c.cause as Record<string, unknown> | undefined) {
      causes.push({ name: `${String(c.namespace)}:${String(c.name)}`, message: String(c.message_format ?? ""), attributes: (c.attributes ?? {}) as Record<string, unknown> });
    }
    return new IdentityError({
      code: typeof b.code === "number" ? b.code : codeFromHttpStatus(status),
      message: b.message ?? `HTTP ${status}`,
      errorName: d ? `${String(d.namespace)}:${String(d.name)}` : undefined,
      attributes: (d?.attributes ?? {}) as Record<string, unknown>,
      correlationId: typeof d?.correlation_id === "string" ? d.correlation_id : undefined,
      causes,
    });
  }
}

export const isIdentityError = (value: unknown): value is IdentityError => value instanceof IdentityError;

function causeChain(cause: ErrorDetails | undefined): ErrorCause[] {
  const out: ErrorCause[] = [];
  for (let c = cause; c; c = c.cause) {
    out.push({ name: `${c.namespace}:${c.name}`, message: c.messageFormat, attributes: c.attributes ? { ...c.attributes } : {} });
  }
  return out;
}

function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400: return Code.InvalidArgument;
    case 401: return Code.Unauthenticated;
    case 403: return Code.PermissionDenied;
    case 404: return Code.NotFound;
    case 409: return Code.AlreadyExists;
    case 429: return Code.ResourceExhausted;
    case 501: return Code.Unimplemented;
    case 503: return Code.Unavailable;
    default: return status >= 500 ? Code.Internal : Code.Unknown;
  }
}
