// Rules on request values that the proto's buf.validate rules do not (or cannot) say, checked with them before
// any work: no NUL characters or broken UTF-16 in any string (PostgreSQL cannot store the one, and the other is
// what invalid UTF-8 becomes when escaped in JSON), e-mail addresses as long as upstream's validator allows
// (254 characters, 64 before the @), URLs of a sane length, and field masks of a bounded size.
import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";
import { ScalarType, getOption, hasOption } from "@bufbuild/protobuf";
import { field as fieldRules, type FieldRules } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import * as errors from "../domain/error-catalog.js";
import type { Violation } from "../domain/errors.js";

/** No User path is longer than 60 characters and there are fewer than 60 paths; room for other messages. */
const MAX_FIELD_MASK_PATHS = 100;
const MAX_FIELD_MASK_PATH_LENGTH = 100;
/** Upstream's e-mail validator (protoc-gen-validate): the address, and its part before the @. */
const MAX_EMAIL_LENGTH = 254;
const MAX_EMAIL_LOCAL_LENGTH = 64;
/** Longer URLs are not used in practice (browsers and servers commonly stop around 2 KB). */
const MAX_URL_LENGTH = 2048;
/** A request never needs more than this many violations reported. */
const MAX_VIOLATIONS = 10;
/** Deeper nesting than any of our messages has; a request that goes deeper is refused. */
const MAX_DEPTH = 32;

/**
 * Refuses a field mask with too many paths (INVALID_ARGUMENT on `field_mask.paths`) or a path longer than any
 * real one (upstream's `field_mask_paths`, the paths bounded in the attribute), before any path is looked at.
 */
export function checkFieldMasks(schema: DescMessage, message: Message): void {
  for (const f of schema.fields) {
    if (f.fieldKind !== "message" || f.message.typeName !== "google.protobuf.FieldMask") continue;
    const paths = ((message as Record<string, any>)[f.localName]?.paths ?? []) as string[];
    if (paths.length > MAX_FIELD_MASK_PATHS) {
      throw errors.validation.field(schema.name, `${f.name}.paths`, `must hold at most ${MAX_FIELD_MASK_PATHS} paths`, "repeated.max_items");
    }
    const long = paths.filter((p) => p.length > MAX_FIELD_MASK_PATH_LENGTH);
    if (long.length) throw errors.fieldMaskPaths.of(long);
  }
}

export interface BoundsViolations {
  /** Encoding problems: refused wherever they are, whatever a field mask says. */
  encoding: Violation[];
  /** Length rules of fields: like buf.validate rules, they apply only to the fields a mask selects. */
  fields: Violation[];
}

/** Every value of `message` checked against the rules above. */
export function boundsViolations(schema: DescMessage, message: Message): BoundsViolations {
  const out: BoundsViolations = { encoding: [], fields: [] };
  walkMessage(schema, message, "", out, 0);
  return out;
}

const full = (out: BoundsViolations) => out.encoding.length + out.fields.length >= MAX_VIOLATIONS;

function walkMessage(schema: DescMessage, message: any, prefix: string, out: BoundsViolations, depth: number): void {
  if (depth > MAX_DEPTH) {
    out.encoding.push({ field: prefix || schema.name, reason: "message.max_depth", message: "is nested too deeply" });
    return;
  }
  if (schema.typeName === "google.protobuf.Any") return; // opaque bytes here; unpacked and checked where used
  for (const f of schema.fields) {
    if (full(out)) return;
    const value = f.oneof ? (message[f.oneof.localName]?.case === f.localName ? message[f.oneof.localName].value : undefined) : message[f.localName];
    if (value === undefined || value === null) continue;
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    walkField(f, value, path, out, depth);
  }
}

/** A field's string rules, read from its options once: reading an option decodes it, on every call otherwise. */
interface StringRuleCases {
  value: StringRuleCase;
  item: StringRuleCase;
  mapValue: StringRuleCase;
}
const ruleCache = new WeakMap<DescField, StringRuleCases>();

function ruleCases(f: DescField): StringRuleCases {
  let cases = ruleCache.get(f);
  if (!cases) {
    const rules = hasOption(f, fieldRules) ? getOption(f, fieldRules) : undefined;
    cases = { value: stringRules(rules), item: itemRules(rules), mapValue: mapValueRules(rules) };
    ruleCache.set(f, cases);
  }
  return cases;
}

function walkField(f: DescField, value: any, path: string, out: BoundsViolations, depth: number): void {
  switch (f.fieldKind) {
    case "scalar":
      if (f.scalar === ScalarType.STRING) checkString(value as string, path, out, ruleCases(f).value);
      return;
    case "message":
      walkMessage(f.message, value, path, out, depth + 1);
      return;
    case "list":
      (value as unknown[]).forEach((item, i) => {
        if (full(out)) return;
        if (f.listKind === "scalar" && f.scalar === ScalarType.STRING) checkString(item as string, `${path}[${i}]`, out, ruleCases(f).item);
        else if (f.listKind === "message") walkMessage(f.message, item, `${path}[${i}]`, out, depth + 1);
      });
      return;
    case "map":
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (full(out)) return;
        const at = `${path}[${JSON.stringify(key.length <= 36 ? key : `${key.slice(0, 36)}…`)}]`;
        if (f.mapKey === ScalarType.STRING) checkString(key, at, out, undefined);
        if (f.mapKind === "scalar" && f.scalar === ScalarType.STRING) checkString(item as string, at, out, ruleCases(f).mapValue);
        else if (f.mapKind === "message") walkMessage(f.message, item, at, out, depth + 1);
      }
      return;
    default:
      return;
  }
}

/** In Unicode mode a paired surrogate is one code point, so only unpaired ones match. */
const LONE_SURROGATE = /\p{Cs}/u;

type StringRuleCase = "email" | "uri" | "uriRef" | undefined;

function stringRules(rules: FieldRules | undefined): StringRuleCase {
  return rules?.type.case === "string" ? (rules.type.value.wellKnown.case as StringRuleCase) : undefined;
}
function itemRules(rules: FieldRules | undefined): StringRuleCase {
  return rules?.type.case === "repeated" ? stringRules(rules.type.value.items) : undefined;
}
function mapValueRules(rules: FieldRules | undefined): StringRuleCase {
  return rules?.type.case === "map" ? stringRules(rules.type.value.values) : undefined;
}

function checkString(value: string, field: string, out: BoundsViolations, rule: StringRuleCase): void {
  if (value.includes("\u0000")) {
    out.encoding.push({ field, reason: "string.no_nul", message: "must not contain NUL characters" });
    return;
  }
  if (LONE_SURROGATE.test(value)) {
    out.encoding.push({ field, reason: "string.utf8", message: "must be valid UTF-8 (no unpaired surrogates)" });
    return;
  }
  if (rule === "email") {
    const at = value.lastIndexOf("@");
    if (value.length > MAX_EMAIL_LENGTH || (at >= 0 && at > MAX_EMAIL_LOCAL_LENGTH)) {
      out.fields.push({
        field, reason: "string.email",
        message: `value must be a valid email address of at most ${MAX_EMAIL_LENGTH} characters, ${MAX_EMAIL_LOCAL_LENGTH} before the @`,
      });
    }
  } else if ((rule === "uri" || rule === "uriRef") && value.length > MAX_URL_LENGTH) {
    out.fields.push({ field, reason: "string.uri_max_len", message: `must be at most ${MAX_URL_LENGTH} characters` });
  }
}
