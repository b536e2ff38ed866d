// Request validation from the proto's buf.validate rules and our input bounds (input-bounds.ts), before any
// authentication or rights check (upstream order: field-mask paths, then field rules).
import { create, type DescMessage, type DescMethod, type Message, type MessageShape } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Violation as ProtoViolation } from "@bufbuild/protovalidate";
import type { Interceptor } from "@connectrpc/connect";
import * as errors from "../domain/error-catalog.js";
import type { Violation } from "../domain/errors.js";
import { boundsViolations, checkFieldMasks } from "./input-bounds.js";

/** Checks that run before the field rules, e.g. field-mask paths; keyed by procedureKey(method). */
export type PreValidation = Record<string, (message: any) => void>;

/**
 * Requests whose rules only apply to the fields named by their field mask (as upstream: UpdateUserRequest
 * validates `user.ids` and `user.<mask paths>`; an empty mask validates everything).
 */
export interface MaskedValidation {
  target: string; // field holding the masked message, e.g. "user"
  mask: string; // field holding the FieldMask, e.g. "fieldMask"
  always: string[]; // sub-paths validated regardless of the mask, e.g. ["ids"]
}

/** How rules are keyed: the method as Connect names it, "package.Service/Method". */
export const procedureKey = (method: DescMethod): string => `${method.parent.typeName}/${method.name}`;

/** A check run before the field rules of `method`, typed by its request message. */
export function before<I extends DescMessage>(
  method: DescMethod & { input: I }, check: (message: MessageShape<I>) => void,
): [string, (message: any) => void] {
  return [procedureKey(method), check];
}

/**
 * Field rules of `method` limited to what its mask names. The field names are checked by the compiler and,
 * for what a cast could slip past, against the descriptor when the rules are built (at start-up).
 */
export function maskedBy<I extends DescMessage>(
  method: DescMethod & { input: I },
  rule: { target: keyof MessageShape<I> & string; mask: keyof MessageShape<I> & string; always: string[] },
): [string, MaskedValidation] {
  const field = (name: string) => method.input.fields.find((f) => f.localName === name && f.fieldKind === "message");
  if (!field(rule.target) || field(rule.mask)?.message?.typeName !== "google.protobuf.FieldMask") {
    throw new Error(`masked validation of ${procedureKey(method)}: ${rule.target} / ${rule.mask} are not a message and its FieldMask`);
  }
  return [procedureKey(method), rule];
}

const validator = createValidator();

/**
 * Compiles the rules of these request messages now. The first validation of a message type compiles its rules
 * (up to half a second for User on a busy machine), which would stall every other request of the process if it
 * happened on a client's first call; done once per process, before listening.
 */
export function prepareValidation(inputs: Iterable<DescMessage>): void {
  for (const input of inputs) validator.validate(input, populated(input, 0));
}

/** A message with every nested message present (rules of a nested message compile when one is there). */
function populated(desc: DescMessage, depth: number): Message {
  const init: Record<string, unknown> = {};
  if (depth < 4 && !desc.typeName.startsWith("google.protobuf.")) {
    for (const f of desc.fields) {
      if (f.fieldKind === "message") {
        const inner = populated(f.message, depth + 1);
        if (f.oneof) init[f.oneof.localName] ??= { case: f.localName, value: inner };
        else init[f.localName] = inner;
      } else if (f.fieldKind === "list" && f.listKind === "message") {
        init[f.localName] = [populated(f.message, depth + 1)];
      }
    }
  }
  return create(desc, init as never);
}

function keep(violation: Violation, rule: MaskedValidation, paths: string[], targetProtoName: string): boolean {
  if (!paths.length) return true;
  const prefix = `${targetProtoName}.`;
  if (!violation.field.startsWith(prefix)) return true; // a rule on the request itself (e.g. `user` required)
  const sub = violation.field.slice(prefix.length);
  return [...rule.always, ...paths].some((p) => sub === p || sub.startsWith(`${p}.`) || sub.startsWith(`${p}[`) || p.startsWith(`${sub}.`));
}

const toViolation = (v: ProtoViolation): Violation => ({ field: pathToString(v.field), reason: v.ruleId, message: v.message });

export function validationInterceptor(options: { before?: PreValidation; masked?: Record<string, MaskedValidation> } = {}): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const procedure = procedureKey(req.method);
    const message = req.message as Message;
    const schema: DescMessage = req.method.input;
    checkFieldMasks(schema, message); // bounded before any path is looked at
    options.before?.[procedure]?.(message);

    const result = validator.validate(schema, message);
    if (result.kind === "error") throw result.error;
    const bounds = boundsViolations(schema, message);
    if (result.kind === "invalid" || bounds.encoding.length || bounds.fields.length) {
      let violations = [...(result.kind === "invalid" ? result.violations.map(toViolation) : []), ...bounds.fields];
      const rule = options.masked?.[procedure];
      if (rule) {
        const paths = ((message as any)[rule.mask]?.paths ?? []) as string[];
        const targetField = schema.fields.find((f) => f.localName === rule.target)!;
        violations = violations.filter((v) => keep(v, rule, paths, targetField.name));
      }
      // Encoding problems count wherever they are, and first: a NUL byte is wrong in any field.
      violations = [...bounds.encoding, ...violations];
      if (violations.length) {
        const first = violations[0]!;
        const failure = errors.validation(
          { field: first.field, reason: first.message, name: `${schema.name}ValidationError` },
          { violations },
        );
        // Bare identifiers requests report pkg/ttnpb:identifiers with the field error as its cause (upstream).
        if (schema.typeName === "ttn.lorawan.v3.UserIdentifiers") throw errors.invalidIdentifiers({}, { cause: failure, violations });
        throw failure;
      }
    }
    return next(req);
  };
}
