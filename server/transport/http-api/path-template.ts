// Path templates of `google.api.http` rules (google/api/http.proto), parsed once and matched per request:
//
//   Template = "/" Segments [ ":" Verb ] ;  Segment = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}"
//
// `*` is one segment, `**` any number of trailing segments; a variable without `=` stands for `{field=*}`.

export type Segment = { kind: "literal"; value: string } | { kind: "any" } | { kind: "rest" };

export interface Variable {
  /** The request field the value is written to, in proto names: `user_ids.user_id`. */
  fieldPath: string;
  /** The template segments the variable covers, [start, end). */
  start: number;
  end: number;
}

export interface PathTemplate {
  template: string;
  segments: Segment[];
  variables: Variable[];
  verb?: string;
}

export class TemplateError extends Error {}

const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@%-]+$/; // URL path characters, without the template syntax
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function parsePathTemplate(template: string): PathTemplate {
  if (!template.startsWith("/")) throw new TemplateError(`path template "${template}" must start with "/"`);
  let body = template.slice(1);
  let verb: string | undefined;
  // A verb follows the last segment; a colon inside a variable (`{x=a:b}`) is not one.
  const colon = body.lastIndexOf(":");
  if (colon > body.lastIndexOf("}")) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!LITERAL.test(verb)) throw new TemplateError(`path template "${template}" has an invalid verb`);
  }

  const segments: Segment[] = [];
  const variables: Variable[] = [];
  for (const part of splitOutsideBraces(body, template)) {
    if (part.startsWith("{")) {
      if (!part.endsWith("}")) throw new TemplateError(`path template "${template}" has an unclosed variable`);
      const inner = part.slice(1, -1);
      const eq = inner.indexOf("=");
      const fieldPath = eq < 0 ? inner : inner.slice(0, eq);
      if (!FIELD_PATH.test(fieldPath)) throw new TemplateError(`path template "${template}" has an invalid field path "${fieldPath}"`);
      const start = segments.length;
      const sub = eq < 0 ? ["*"] : inner.slice(eq + 1).split("/");
      for (const s of sub) {
        if (s.includes("{")) throw new TemplateError(`path template "${template}" nests variables`);
        segments.push(segment(s, template));
      }
      variables.push({ fieldPath, start, end: segments.length });
    } else {
      segments.push(segment(part, template));
    }
  }
  const rest = segments.findIndex((s) => s.kind === "rest");
  if (rest >= 0 && rest !== segments.length - 1) throw new TemplateError(`path template "${template}" has "**" before its end`);
  return { template, segments, variables, ...(verb !== undefined ? { verb } : {}) };
}

function segment(text: string, template: string): Segment {
  if (text === "*") return { kind: "any" };
  if (text === "**") return { kind: "rest" };
  if (!LITERAL.test(text)) throw new TemplateError(`path template "${template}" has an invalid segment "${text}"`);
  return { kind: "literal", value: text };
}

/** `a/{b=c/*}/d` → ["a", "{b=c/*}", "d"]. */
function splitOutsideBraces(body: string, template: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of body) {
    if (c === "{") depth++;
    if (c === "}") depth--;
    if (depth < 0 || depth > 1) throw new TemplateError(`path template "${template}" has unbalanced braces`);
    if (c === "/" && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  if (depth !== 0) throw new TemplateError(`path template "${template}" has an unclosed variable`);
  parts.push(current);
  return parts;
}

/**
 * The variables' values when `path` (already without the API prefix, starting with "/", no query) matches, else
 * undefined. Segments are percent-decoded one by one, so an encoded "/" stays inside its segment; a segment that
 * does not decode matches nothing.
 */
export function matchPath(template: PathTemplate, path: string): Map<string, string> | undefined {
  let rest = path.startsWith("/") ? path.slice(1) : path;
  if (template.verb !== undefined) {
    const suffix = `:${template.verb}`;
    if (!rest.endsWith(suffix)) return undefined;
    rest = rest.slice(0, -suffix.length);
  }
  const raw = rest.split("/");
  const { segments } = template;
  const open = segments.at(-1)?.kind === "rest";
  if (open ? raw.length < segments.length - 1 : raw.length !== segments.length) return undefined;

  const decoded: string[] = [];
  for (const part of raw) {
    try {
      decoded.push(decodeURIComponent(part));
    } catch {
      return undefined;
    }
  }
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === "rest") break;
    // An empty segment (`/users//rights`) is no value for a variable, as in grpc-gateway.
    if (s.kind === "literal" ? decoded[i] !== s.value : decoded[i] === "") return undefined;
  }

  const values = new Map<string, string>();
  for (const v of template.variables) {
    const end = v.end === segments.length && open ? decoded.length : v.end;
    values.set(v.fieldPath, decoded.slice(v.start, end).join("/"));
  }
  return values;
}

/**
 * Orders templates so the more specific wins where two match one path: position by position, a literal before
 * a single wildcard before `**`.
 */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const rank = (s: Segment | undefined) => (s === undefined ? -1 : s.kind === "literal" ? 2 : s.kind === "any" ? 1 : 0);
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const d = rank(b.segments[i]) - rank(a.segments[i]);
    if (d !== 0) return d;
  }
  return (b.verb !== undefined ? 1 : 0) - (a.verb !== undefined ? 1 : 0);
}
