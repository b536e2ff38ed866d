// Builds an RPC's request message from an HTTP request the way grpc-gateway does: the JSON body first (the whole
// request for `body: "*"`, one field for a named body), then the path variables (they win over the body), then,
// unless the body is the whole request, the query string for every field neither the path nor the body sets.
//
// Query parameters name fields by proto or JSON name, nested with dots (`user_ids.user_id=…`); a repeated field
// repeats its parameter; enums are given by name (with or without prefix) or number; a field mask is a
// comma-separated list of snake_case paths (`field_mask=name,contact_info`); a map entry is `field[key]=value`.
// Unknown parameters are ignored, as grpc-gateway does.
import { create, fromJson, mergeFromJson, ScalarType, type DescField, type DescMessage, type Message, type Registry } from "@bufbuild/protobuf";
import * as errors from "../../domain/error-catalog.js";
import { canonicalJson, type Json } from "../upstream-json.js";
import type { HttpBinding } from "./bindings.js";

export interface HttpRequestParts {
  /** Path variable values by field path, from matchPath. */
  pathValues: Map<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body, or undefined when there was none. */
  body: Json | undefined;
}

/** How much of a decoding error's text a response repeats: it may quote what the client sent. */
const REASON_MAX = 200;

const bounded = (text: string) => (text.length > REASON_MAX ? `${text.slice(0, REASON_MAX)}…` : text);

export function requestMessage(binding: HttpBinding, parts: HttpRequestParts, registry: Registry): Message {
  const input = binding.method.input;
  const message = bodyMessage(binding, parts.body, registry);
  for (const [fieldPath, value] of parts.pathValues) {
    merge(input, message, fieldPath, tree(fieldPath.split("."), value), registry, "path");
  }
  if (binding.body !== "*") {
    const bound = [...parts.pathValues.keys(), ...(binding.body ? [binding.body] : [])];
    for (const key of new Set(parts.query.keys())) {
      const param = queryField(input, key);
      if (!param || bound.some((b) => covers(b, param.path) || covers(param.path, b))) continue;
      const value = queryValue(input, param, parts.query.getAll(key));
      merge(input, message, param.path, tree(param.path.split("."), value), registry, "query");
    }
  }
  return message;
}

function bodyMessage(binding: HttpBinding, body: Json | undefined, registry: Registry): Message {
  const input = binding.method.input;
  if (body === undefined || body === null || binding.body === "") return create(input);
  const json = binding.body === "*" ? body : { [binding.body]: body };
  try {
    // Unknown fields are dropped, as upstream's gateway does (clients send fields this server does not have).
    return fromJson(input, canonicalJson(json, input), { ignoreUnknownFields: true, registry });
  } catch (err) {
    throw errors.requestBody({ reason: bounded((err as Error).message) });
  }
}

/** `a.b` covers `a.b` and `a.b.c`. */
const covers = (prefix: string, path: string) => path === prefix || path.startsWith(`${prefix}.`);

/** { a: { b: value } } for ["a", "b"]. */
function tree(names: string[], value: Json): Json {
  return names.reduceRight<Json>((inner, name) => ({ [name]: inner }), value);
}

function merge(input: DescMessage, message: Message, fieldPath: string, json: Json, registry: Registry, source: "path" | "query"): void {
  try {
    mergeFromJson(input, message, canonicalJson(json, input), { registry });
  } catch {
    throw errors.validation.field(input.name, fieldPath, `invalid value in the ${source}`, `http.${source}`);
  }
}

interface QueryField {
  /** Proto names, dotted. */
  path: string;
  field: DescField;
  /** The map key of `field[key]`. */
  mapKey?: string;
}

/** The field a query key names, or undefined for keys that name none (ignored). */
function queryField(input: DescMessage, key: string): QueryField | undefined {
  let mapKey: string | undefined;
  const bracket = /^([^[\]]+)\[([^[\]]*)\]$/.exec(key);
  if (bracket) [, key, mapKey] = bracket as unknown as [string, string, string];
  const names: string[] = [];
  let message: DescMessage = input;
  const parts = key.split(".");
  for (let i = 0; i < parts.length; i++) {
    const field = message.fields.find((f) => f.name === parts[i] || f.jsonName === parts[i]);
    if (!field) return undefined;
    names.push(field.name);
    if (i === parts.length - 1) {
      if ((mapKey !== undefined) !== (field.fieldKind === "map")) return undefined;
      return { path: names.join("."), field, ...(mapKey !== undefined ? { mapKey } : {}) };
    }
    if (field.fieldKind !== "message") throw errors.validation.field(input.name, names.join("."), "not a singular message", "http.query");
    message = field.message;
  }
  return undefined;
}

const TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** The JSON value of a query parameter's values for its field. */
function queryValue(input: DescMessage, param: QueryField, values: string[]): Json {
  const { field } = param;
  const invalid = (why: string) => errors.validation.field(input.name, param.path, why, "http.query");
  switch (field.fieldKind) {
    case "list":
      return values.map((v) => single(field.listKind === "message" ? field.message : field.listKind === "enum" ? "enum" : field.scalar, v, invalid));
    case "map":
      if (values.length > 1) throw invalid("more than one value");
      return { [param.mapKey!]: single(field.mapKind === "message" ? field.message : field.mapKind === "enum" ? "enum" : field.scalar, values[0]!, invalid) };
    default:
      if (values.length > 1) throw invalid("more than one value");
      return single(field.fieldKind === "message" ? field.message : field.fieldKind === "enum" ? "enum" : field.scalar, values[0]!, invalid);
  }
}

function single(kind: DescMessage | "enum" | number, value: string, invalid: (why: string) => Error): Json {
  if (kind === "enum") return /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof kind === "number") return kind === ScalarType.BOOL ? bool(value, invalid) : value;
  switch (kind.typeName) {
    case "google.protobuf.FieldMask":
      return { paths: value.split(",").filter((p) => p !== "") };
    case "google.protobuf.Timestamp":
    case "google.protobuf.Duration":
    case "google.protobuf.StringValue":
    case "google.protobuf.BytesValue":
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
    case "google.protobuf.FloatValue":
    case "google.protobuf.DoubleValue":
      return value;
    case "google.protobuf.BoolValue":
      return bool(value, invalid);
    default:
      throw invalid("a message cannot be given in the query");
  }
}

function bool(value: string, invalid: (why: string) => Error): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw invalid("expected true or false");
}
