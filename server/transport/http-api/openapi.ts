// An OpenAPI 3.0 description of the HTTP API, generated from the same bindings the routes are built from, so it
// cannot drift from what is served. Schemas follow the JSON the API reads and writes: proto field names, enums by
// name, 64-bit integers as strings, well-known types in their JSON forms, field masks as upstream's `{"paths": […]}`.
import { ScalarType, type DescEnum, type DescField, type DescMessage, type JsonObject } from "@bufbuild/protobuf";
import { resolveFieldPath, type HttpBinding } from "./bindings.js";
import type { PathTemplate } from "./path-template.js";

type Schema = JsonObject;

const ANY = "google.protobuf.Any";
const STATUS = "google.rpc.Status";
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

function scalarSchema(scalar: ScalarType): Schema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0 };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64" }; // protojson writes 64-bit integers as strings
    default:
      return { type: "string", format: "int64" };
  }
}

/** Well-known types have JSON forms of their own; undefined for every other message. */
function wellKnownSchema(message: DescMessage): Schema | undefined {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", description: "Seconds with an `s` suffix, e.g. `3600s`." };
    case "google.protobuf.FieldMask":
      return {
        type: "object",
        properties: { paths: { type: "array", items: { type: "string" } } },
        description: "snake_case field paths; a comma-separated string is also accepted.",
      };
    case "google.protobuf.Empty":
      return { type: "object" };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array", items: {} };
    case ANY:
      return ref(ANY);
    default:
      if (message.typeName.startsWith("google.protobuf.") && message.typeName.endsWith("Value")) {
        const value = message.fields.find((f) => f.name === "value");
        if (value?.fieldKind === "scalar") return scalarSchema(value.scalar);
      }
      return undefined;
  }
}

class Components {
  readonly schemas: Record<string, Schema> = {
    [ANY]: {
      type: "object",
      properties: { "@type": { type: "string", description: "`type.googleapis.com/` and the full name of the message type." } },
      additionalProperties: true,
      description: "A message of any type: its `@type` and its fields.",
    },
    [STATUS]: {
      type: "object",
      properties: {
        code: { type: "integer", format: "int32", description: "The gRPC status code." },
        message: { type: "string", description: "`error:<namespace>:<name> (<message>)`." },
        details: { type: "array", items: ref(ANY), description: "A `ttn.lorawan.v3.ErrorDetails`, and for validation errors a `buf.validate.Violations`." },
      },
    },
  };

  message(message: DescMessage): Schema {
    const wkt = wellKnownSchema(message);
    if (wkt) return wkt;
    if (!(message.typeName in this.schemas)) {
      const properties: Record<string, Schema> = {};
      this.schemas[message.typeName] = { type: "object", properties }; // before the fields: messages may recurse
      for (const field of message.fields) properties[field.name] = this.field(field);
    }
    return ref(message.typeName);
  }

  enum(desc: DescEnum): Schema {
    this.schemas[desc.typeName] ??= { type: "string", enum: desc.values.map((v) => v.name) };
    return ref(desc.typeName);
  }

  field(field: DescField): Schema {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.enum(field.enum);
      case "message":
        return this.message(field.message);
      case "list":
        return { type: "array", items: this.item(field.listKind, field) };
      case "map":
        return { type: "object", additionalProperties: this.item(field.mapKind, field) };
    }
  }

  private item(kind: "scalar" | "enum" | "message", field: DescField & { fieldKind: "list" | "map" }): Schema {
    if (kind === "message") return this.message(field.message!);
    if (kind === "enum") return this.enum(field.enum!);
    return scalarSchema(field.scalar!);
  }
}

/** `/users/{user_ids.user_id}/api-keys` as OpenAPI writes it (a variable with its own segments keeps only its name). */
function openApiPath(path: PathTemplate): string {
  const variables = new Map(path.variables.map((v) => [v.start, v]));
  const parts: string[] = [];
  for (let i = 0; i < path.segments.length; i++) {
    const variable = variables.get(i);
    if (variable) {
      parts.push(`{${variable.fieldPath}}`);
      i = variable.end - 1;
      continue;
    }
    const s = path.segments[i]!;
    parts.push(s.kind === "literal" ? s.value : s.kind === "any" ? "*" : "**");
  }
  return `/${parts.join("/")}${path.verb !== undefined ? `:${path.verb}` : ""}`;
}

/** Fields that can be given in the query string, flattened to dotted names, as grpc-gateway documents them. */
function queryParameters(components: Components, message: DescMessage, exclude: string[], prefix = "", seen: string[] = []): Schema[] {
  const out: Schema[] = [];
  for (const field of message.fields) {
    const name = `${prefix}${field.name}`;
    if (exclude.some((e) => name === e || name.startsWith(`${e}.`))) continue; // set by the path or the body
    if (field.fieldKind === "message") {
      const wkt = wellKnownSchema(field.message);
      if (field.message.typeName === "google.protobuf.FieldMask") {
        out.push({ name, in: "query", schema: { type: "string" }, description: "Comma-separated snake_case field paths." });
      } else if (wkt && !("$ref" in wkt) && wkt.type !== "object" && wkt.type !== "array" && Object.keys(wkt).length) {
        out.push({ name, in: "query", schema: wkt });
      } else if (!wkt && !seen.includes(field.message.typeName) && seen.length < 3) {
        out.push(...queryParameters(components, field.message, exclude, `${name}.`, [...seen, field.message.typeName]));
      }
    } else if (field.fieldKind === "list" && field.listKind !== "message") {
      out.push({ name, in: "query", schema: components.field(field), style: "form", explode: true });
    } else if (field.fieldKind === "scalar" || field.fieldKind === "enum") {
      out.push({ name, in: "query", schema: components.field(field) });
    }
  }
  return out;
}

export function openApiDocument(bindings: readonly HttpBinding[], prefix: string): JsonObject {
  const components = new Components();
  const paths: Record<string, Record<string, Schema>> = {};
  const operationIds = new Set<string>();
  const tags = new Set<string>();

  for (const binding of bindings) {
    const { method } = binding;
    const service = method.parent;
    tags.add(service.typeName);
    let operationId = `${service.name}_${method.name}`;
    for (let n = 2; operationIds.has(operationId); n++) operationId = `${service.name}_${method.name}${n}`;
    operationIds.add(operationId);

    const pathFields = binding.path.variables.map((v) => v.fieldPath);
    const parameters: Schema[] = binding.path.variables.map((v) => ({
      name: v.fieldPath,
      in: "path",
      required: true,
      schema: components.field(resolveFieldPath(method.input, v.fieldPath)!.at(-1)!),
    }));
    if (binding.body !== "*") {
      parameters.push(...queryParameters(components, method.input, [...pathFields, ...(binding.body ? [binding.body] : [])]));
    }
    const operation: Schema = {
      operationId,
      summary: `${service.typeName}.${method.name}`,
      tags: [service.typeName],
      ...(parameters.length ? { parameters } : {}),
      responses: {
        200: { description: "The response message.", content: { "application/json": { schema: response(components, binding) } } },
        default: { description: "An error.", content: { "application/json": { schema: ref(STATUS) } } },
      },
    };
    if (binding.body) {
      const schema = binding.body === "*"
        ? components.message(method.input)
        : components.field(method.input.fields.find((f) => f.name === binding.body)!);
      operation.requestBody = { required: true, content: { "application/json": { schema } } };
    }
    (paths[openApiPath(binding.path)] ??= {})[binding.httpMethod.toLowerCase()] = operation;
  }

  return {
    openapi: "3.0.3",
    info: {
      title: "The Things Stack Identity Server: HTTP/JSON API",
      version: "v3",
      description: "Every RPC with a google.api.http rule, with grpc-gateway's conventions as The Things Stack configures them.",
    },
    servers: [{ url: prefix }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key or a session token." } },
    },
    security: [{ bearer: [] }, {}],
  };
}

function response(components: Components, binding: HttpBinding): Schema {
  const output = binding.method.output;
  if (!binding.responseBody) return components.message(output);
  return components.field(output.fields.find((f) => f.name === binding.responseBody)!);
}
