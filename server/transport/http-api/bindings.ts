// The HTTP bindings of RPC methods, read from their `google.api.http` options at start-up: one per rule and per
// `additional_bindings` entry. A rule that names a field the request does not have fails start-up, so a typo in
// a proto never turns into a route that silently drops a value.
import { getOption, hasOption, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { http } from "../../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../../gen/google/api/http_pb.js";
import { parsePathTemplate, TemplateError, type PathTemplate } from "./path-template.js";

export interface HttpBinding {
  method: DescMethod;
  /** Upper-case HTTP method: GET, POST, PUT, PATCH, DELETE or a custom kind. */
  httpMethod: string;
  path: PathTemplate;
  /** "" (no body: the rest comes from the query string), "*" (the whole request) or a top-level request field. */
  body: string;
  /** "" (the whole response) or a top-level response field. */
  responseBody: string;
}

/** `user_ids.user_id` → the fields along the way (proto names), or undefined when one does not exist. */
export function resolveFieldPath(message: DescMessage, fieldPath: string): DescField[] | undefined {
  const fields: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const name of fieldPath.split(".")) {
    const field: DescField | undefined = current?.fields.find((f) => f.name === name);
    if (!field) return undefined;
    fields.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return fields;
}

function pattern(rule: HttpRule): { httpMethod: string; template: string } | undefined {
  switch (rule.pattern.case) {
    case undefined:
      return undefined;
    case "custom":
      return { httpMethod: rule.pattern.value.kind.toUpperCase(), template: rule.pattern.value.path };
    default:
      return { httpMethod: rule.pattern.case.toUpperCase(), template: rule.pattern.value };
  }
}

function binding(method: DescMethod, rule: HttpRule): HttpBinding | undefined {
  const found = pattern(rule);
  if (!found) return undefined; // a rule with only additional_bindings (upstream's NotificationService.List)
  const where = `${method.parent.typeName}.${method.name}`;
  let path: PathTemplate;
  try {
    path = parsePathTemplate(found.template);
  } catch (err) {
    throw new Error(`${where}: ${(err as TemplateError).message}`);
  }
  for (const variable of path.variables) {
    const fields = resolveFieldPath(method.input, variable.fieldPath);
    const leaf = fields?.at(-1);
    const singularMessages = fields?.slice(0, -1).every((f) => f.fieldKind === "message");
    if (!leaf || !singularMessages || (leaf.fieldKind !== "scalar" && leaf.fieldKind !== "enum")) {
      throw new Error(`${where}: path variable "${variable.fieldPath}" is not a singular scalar field of ${method.input.typeName}`);
    }
  }
  if (rule.body && rule.body !== "*" && !method.input.fields.some((f) => f.name === rule.body)) {
    throw new Error(`${where}: body "${rule.body}" is not a field of ${method.input.typeName}`);
  }
  if (rule.responseBody && !method.output.fields.some((f) => f.name === rule.responseBody)) {
    throw new Error(`${where}: response_body "${rule.responseBody}" is not a field of ${method.output.typeName}`);
  }
  return { method, httpMethod: found.httpMethod, path, body: rule.body, responseBody: rule.responseBody };
}

/** Every binding of the unary methods among `methods` that carry a `google.api.http` option. */
export function httpBindings(methods: Iterable<DescMethod>): HttpBinding[] {
  const out: HttpBinding[] = [];
  for (const method of methods) {
    if (method.methodKind !== "unary" || !hasOption(method, http)) continue;
    const rule = getOption(method, http);
    for (const r of [rule, ...rule.additionalBindings]) {
      if (r !== rule && r.additionalBindings.length) throw new Error(`${method.parent.typeName}.${method.name}: nested additional_bindings`);
      const b = binding(method, r);
      if (b) out.push(b);
    }
  }
  return out;
}
