// Upstream's JSON dialect on input. JSON clients of The Things Stack send field masks as objects
// (`{"paths": ["primary_email_address"]}`) with snake_case paths, and enum values with or without their prefix
// (`"USER_INFO"` for `RIGHT_USER_INFO`). Protobuf's canonical JSON, which the decoder reads, wants a comma-separated
// lowerCamelCase string and full enum names; this rewrites the first into the second before the body is decoded.
// Everything canonical passes through unchanged.
import { fromJson, type DescEnum, type DescField, type DescMessage, type JsonReadOptions, type Message } from "@bufbuild/protobuf";

const FIELD_MASK = "google.protobuf.FieldMask";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: Json): v is { [key: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);

/** `console_preferences.console_theme` → `consolePreferences.consoleTheme`; camelCase input stays as it is. */
const camelPath = (path: string) => path.trim().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A mask already in canonical form: lowerCamelCase paths, comma-separated, nothing to trim or drop. */
const CANONICAL_MASK = /^[A-Za-z0-9.]+(?:,[A-Za-z0-9.]+)*$/;

function fieldMask(value: Json): Json {
  if (typeof value === "string" && CANONICAL_MASK.test(value)) return value;
  const paths = isObject(value) && Array.isArray(value.paths) ? value.paths : typeof value === "string" ? value.split(",") : undefined;
  if (!paths?.every((p) => typeof p === "string")) return value; // not ours to fix: let the parser say what is wrong
  return (paths as string[]).filter((p) => p.trim()).map(camelPath).join(",");
}

function enumValue(value: Json, desc: DescEnum): Json {
  if (typeof value !== "string" || desc.values.some((v) => v.name === value)) return value;
  return desc.values.find((v) => v.localName === value)?.name ?? value;
}

function messageValue(value: Json, desc: DescMessage): Json {
  if (desc.typeName === FIELD_MASK) return fieldMask(value);
  if (desc.typeName.startsWith("google.protobuf.")) return value; // other well-known types have one JSON form
  if (!isObject(value)) return value;
  return mapEntries(value, (key, v) => {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    return field && v !== null ? fieldValue(v, field) : v;
  });
}

/** The object with `fn` applied to its values; the same object when nothing changed (so unchanged bodies stay byte-exact). */
function mapEntries(value: { [key: string]: Json }, fn: (key: string, v: Json) => Json): Json {
  let out: { [key: string]: Json } | undefined;
  for (const [key, v] of Object.entries(value)) {
    const mapped = fn(key, v);
    if (mapped !== v) out ??= { ...value };
    if (out) out[key] = mapped;
  }
  return out ?? value;
}

function mapItems(value: Json[], fn: (v: Json) => Json): Json[] {
  const mapped = value.map(fn);
  return mapped.every((v, i) => v === value[i]) ? value : mapped;
}

function fieldValue(value: Json, field: DescField): Json {
  switch (field.fieldKind) {
    case "message":
      return messageValue(value, field.message);
    case "enum":
      return enumValue(value, field.enum);
    case "list":
      if (!Array.isArray(value)) return value;
      if (field.listKind === "message") return mapItems(value, (v) => messageValue(v, field.message));
      if (field.listKind === "enum") return mapItems(value, (v) => enumValue(v, field.enum));
      return value;
    case "map":
      if (!isObject(value)) return value;
      if (field.mapKind === "message") return mapEntries(value, (_, v) => messageValue(v, field.message));
      if (field.mapKind === "enum") return mapEntries(value, (_, v) => enumValue(v, field.enum));
      return value;
    default:
      return value;
  }
}

/** Which of the dialect's forms can occur in a message: enum values and field masks anywhere inside it. */
interface DialectForms {
  enums: boolean;
  fieldMasks: boolean;
}

const formsOf = new WeakMap<DescMessage, DialectForms>();

function dialectForms(desc: DescMessage, visiting = new Set<DescMessage>()): DialectForms {
  const known = formsOf.get(desc);
  if (known) return known;
  const forms = { enums: false, fieldMasks: desc.typeName === FIELD_MASK };
  if (!forms.fieldMasks && !desc.typeName.startsWith("google.protobuf.") && !visiting.has(desc)) {
    visiting.add(desc);
    for (const field of desc.fields) {
      const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind === "map" ? field.mapKind : field.fieldKind;
      if (kind === "enum") forms.enums = true;
      const message = kind === "message" ? (field as { message?: DescMessage }).message : undefined;
      if (message) {
        const inner = dialectForms(message, visiting);
        forms.enums ||= inner.enums;
        forms.fieldMasks ||= inner.fieldMasks;
      }
    }
    visiting.delete(desc);
  }
  if (!visiting.size) formsOf.set(desc, forms); // only complete answers (a cycle's inner view is partial)
  return forms;
}

/** False when no request of this type can carry the dialect (e.g. AuthInfo's Empty): its body is left alone. */
function mayNeedRewrite(input: DescMessage): boolean {
  const forms = dialectForms(input);
  return forms.enums || forms.fieldMasks;
}

/** A parsed JSON value for `desc` in canonical JSON; the same value when it needed no change. */
export function canonicalJson(value: Json, desc: DescMessage): Json {
  return messageValue(value, desc);
}

/**
 * A Connect JSON request body decoded as `input`, upstream's dialect included. A body that does not decode has no
 * `message`: its `body` is for Connect's parser to report on, in canonical JSON where it could be rewritten.
 */
export function decodeRequestJson(
  body: Uint8Array, input: DescMessage, options: Partial<JsonReadOptions>,
): { message?: Message; body: Uint8Array } {
  let parsed: Json;
  let canonical: Json;
  try {
    parsed = JSON.parse(utf8.decode(body)) as Json;
    canonical = mayNeedRewrite(input) ? messageValue(parsed, input) : parsed;
  } catch {
    return { body };
  }
  try {
    return { message: fromJson(input, canonical, options), body };
  } catch {
    return { body: canonical === parsed ? body : Buffer.from(JSON.stringify(canonical)) };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
