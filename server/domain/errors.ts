// The one error type of the service. Domain code throws these; a single transport interceptor turns
// them into gRPC statuses with `ttn.lorawan.v3.ErrorDetails`, so clients can keep matching on
// namespace + name + code exactly as they do against upstream.

/** gRPC status codes by name; the numbers are what goes on the wire. */
export const Code = {
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export interface Violation {
  field: string;
  reason: string;
  message: string;
}

export interface ServiceErrorInit {
  namespace: string;
  name: string;
  code: Code;
  messageFormat: string;
  attributes?: Record<string, unknown>;
  cause?: ServiceError;
  violations?: Violation[];
}

/** Plain-object form mirroring `ttn.lorawan.v3.ErrorDetails` (minus correlation id and `Any` details). */
export interface ErrorDetailsShape {
  namespace: string;
  name: string;
  messageFormat: string;
  attributes: Record<string, unknown>;
  code: number;
  cause?: ErrorDetailsShape;
}

export class ServiceError extends Error {
  readonly namespace: string;
  // `name` doubles as Error.name so stack traces and logs show the upstream error name.
  override readonly name: string;
  readonly code: Code;
  readonly messageFormat: string;
  /** Public attributes only: they are sent to clients verbatim. Never put secrets here. */
  readonly attributes: Record<string, unknown>;
  override readonly cause?: ServiceError;
  readonly violations?: Violation[];

  constructor(init: ServiceErrorInit) {
    const attributes = init.attributes ?? {};
    super(`error:${init.namespace}:${init.name} (${formatMessage(init.messageFormat, attributes)})`);
    this.namespace = init.namespace;
    this.name = init.name;
    this.code = init.code;
    this.messageFormat = init.messageFormat;
    this.attributes = attributes;
    if (init.cause) this.cause = init.cause;
    if (init.violations) this.violations = init.violations;
  }

  /** `namespace:name`, the identity clients match on. */
  get fullName(): string {
    return `${this.namespace}:${this.name}`;
  }

  toDetails(): ErrorDetailsShape {
    return {
      namespace: this.namespace,
      name: this.name,
      messageFormat: this.messageFormat,
      attributes: this.attributes,
      code: this.code,
      ...(this.cause ? { cause: this.cause.toDetails() } : {}),
    };
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}

/** Fills `{attr}` placeholders; unknown placeholders stay visible so a missing attribute is noticed. */
export function formatMessage(format: string, attributes: Record<string, unknown>): string {
  return format.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key: string) =>
    key in attributes ? renderAttribute(attributes[key]) : whole,
  );
}

function renderAttribute(value: unknown): string {
  if (Array.isArray(value)) return value.map(renderAttribute).join(", ");
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// Attribute names are read from the format string at the type level, so forgetting `user_id` for
// "user `{user_id}` not found" is a compile error rather than a confusing message in production.
type FormatKeys<S extends string> = S extends `${string}{${infer K}}${infer Rest}` ? K | FormatKeys<Rest> : never;

export type ErrorAttributes<F extends string> = [FormatKeys<F>] extends [never]
  ? Record<string, unknown>
  : Record<FormatKeys<F>, unknown> & Record<string, unknown>;

export interface ErrorOptions {
  cause?: ServiceError;
  violations?: Violation[];
}

export interface ErrorDefinition<F extends string> {
  (...args: [FormatKeys<F>] extends [never]
    ? [attributes?: ErrorAttributes<F>, options?: ErrorOptions]
    : [attributes: ErrorAttributes<F>, options?: ErrorOptions]): ServiceError;
  readonly namespace: string;
  readonly errorName: string;
  readonly code: Code;
  readonly messageFormat: F;
  /** True when `err` is a ServiceError of this definition (same namespace and name). */
  is(err: unknown): err is ServiceError;
}

/** Declares an error once; call the result to build an instance. */
export function defineError<const F extends string>(
  namespace: string,
  name: string,
  code: Code,
  messageFormat: F,
): ErrorDefinition<F> {
  const factory = (attributes?: Record<string, unknown>, options?: ErrorOptions) =>
    new ServiceError({ namespace, name, code, messageFormat, attributes: { ...attributes }, ...options });
  return Object.assign(factory, {
    namespace,
    errorName: name,
    code,
    messageFormat,
    is: (err: unknown): err is ServiceError =>
      err instanceof ServiceError && err.namespace === namespace && err.name === name,
  }) as ErrorDefinition<F>;
}
