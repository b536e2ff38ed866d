// Every RPC of every service, in every protocol (Connect JSON, Connect binary, gRPC-Web, gRPC with grpc-js),
// generated from the service descriptors: malformed bodies, NUL characters and invalid UTF-8 in strings, wrong
// JSON types and oversized bodies are the client's error (INVALID_ARGUMENT, or RESOURCE_EXHAUSTED for size),
// never INTERNAL and never an HTTP 5xx, while a health check running beside the attack stays fast.
import { create, toBinary, toJsonString, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { httpBindings, type HttpBinding } from "../../../server/transport/http-api/bindings.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  METHODS, RAW_PROTOCOLS, closeGrpcClients, databaseBackends, monitorHealth, prepareDatabase, rawCall, startControlServer,
  doing, httpApiCall, startServerProcess, type HealthReport, type PreparedDatabase, type RawAnswer, type RawProtocol, type ServerProcess,
} from "./support.js";

const MAX_BYTES = 64 * 1024;
const MAX_PICTURE_BYTES = 256 * 1024;
const LARGE = new Set(["ttn.lorawan.v3.UserRegistry/Create", "ttn.lorawan.v3.UserRegistry/Update"]);

const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const NEVER = new Set([2, 13, 15]); // UNKNOWN, INTERNAL, DATA_LOSS

/** Sets every string reachable from `schema` (3 levels deep, one list item, one map entry) to `text`. */
function fill(schema: DescMessage, text: string, depth = 0): Record<string, unknown> | undefined {
  if (depth > 3 || schema.typeName.startsWith("google.protobuf.")) return undefined;
  const init: Record<string, unknown> = {};
  let any = false;
  const oneofsDone = new Set<string>();
  for (const f of schema.fields) {
    if (f.oneof) {
      if (oneofsDone.has(f.oneof.name)) continue;
      const value = valueFor(f, text, depth);
      if (value === undefined) continue;
      oneofsDone.add(f.oneof.name);
      init[f.oneof.localName] = { case: f.localName, value };
      any = true;
      continue;
    }
    const value = valueFor(f, text, depth);
    if (value !== undefined) {
      init[f.localName] = value;
      any = true;
    }
  }
  return any ? init : undefined;
}

function valueFor(f: DescField, text: string, depth: number): unknown {
  switch (f.fieldKind) {
    case "scalar":
      return f.scalar === ScalarType.STRING ? text : undefined;
    case "message": {
      const inner = fill(f.message, text, depth + 1);
      return inner && create(f.message, inner as never);
    }
    case "list":
      if (f.listKind === "scalar" && f.scalar === ScalarType.STRING) return [text];
      if (f.listKind === "message") {
        const inner = fill(f.message, text, depth + 1);
        return inner && [create(f.message, inner as never)];
      }
      return undefined;
    case "map":
      if (f.mapKind === "scalar" && f.scalar === ScalarType.STRING) return { [f.mapKey === ScalarType.STRING ? "key" : "1"]: text };
      if (f.mapKey === ScalarType.STRING && f.mapKind === "message") {
        const inner = fill(f.message, text, depth + 1);
        return inner && { [text]: create(f.message, inner as never) };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Field numbers (and JSON names) down to the first string field, if any. */
function firstStringPath(schema: DescMessage, depth = 0): DescField[] | undefined {
  if (depth > 3 || schema.typeName.startsWith("google.protobuf.")) return undefined;
  for (const f of schema.fields) {
    if (f.fieldKind === "scalar" && f.scalar === ScalarType.STRING) return [f];
  }
  for (const f of schema.fields) {
    if (f.fieldKind !== "message") continue;
    const rest = firstStringPath(f.message, depth + 1);
    if (rest) return [f, ...rest];
  }
  return undefined;
}

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return out;
};
const lenField = (no: number, payload: Uint8Array): Uint8Array => Uint8Array.from([...varint((no << 3) | 2), ...varint(payload.length), ...payload]);

/** A binary message whose first string field holds the bytes 0xff 0xfe (not UTF-8). */
function invalidUtf8Binary(path: DescField[]): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from([0xff, 0xfe]);
  for (const f of [...path].reverse()) bytes = lenField(f.number, bytes);
  return bytes;
}

/** A JSON body whose first string field holds the raw bytes 0xff 0xfe. */
function invalidUtf8Json(path: DescField[]): Uint8Array {
  const marker = "@@NOT-UTF8@@";
  let value: unknown = marker;
  for (const f of [...path].reverse()) value = { [f.jsonName]: value };
  const [before, after] = JSON.stringify(value).split(marker) as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
}

/** Every top-level field with a JSON value of the wrong type. */
function wrongTypesJson(schema: DescMessage): Uint8Array {
  const body: Record<string, unknown> = {};
  for (const f of schema.fields) {
    switch (f.fieldKind) {
      case "scalar": body[f.jsonName] = f.scalar === ScalarType.STRING ? { not: "a string" } : f.scalar === ScalarType.BOOL ? "maybe" : "not a number"; break;
      case "enum": body[f.jsonName] = { not: "an enum" }; break;
      case "message": body[f.jsonName] = f.message.typeName === "google.protobuf.Any" ? 17 : ["not", "a", "message"]; break;
      case "list": body[f.jsonName] = "not a list"; break;
      case "map": body[f.jsonName] = ["not", "a", "map"]; break;
    }
  }
  if (!schema.fields.length) return Buffer.from("[]"); // Empty: a JSON array is not an object
  return Buffer.from(JSON.stringify(body));
}

interface Case {
  name: string;
  protocols: RawProtocol[];
  body(protocol: RawProtocol): Uint8Array;
  raw?: boolean;
  /** The status code the call must get; undefined: anything but INTERNAL/UNKNOWN/DATA_LOSS and HTTP 5xx. */
  code?: number;
  /** A well-formed request after all (e.g. only unknown fields), which may succeed. */
  maySucceed?: boolean;
  /** The error must stay short (SHORT_ERROR bytes): it must not echo the input. */
  shortMessage?: boolean;
}

/** `count` distinct paths of `length` letters that no message has (letters only: JSON names map back to them). */
const unknownPaths = (count: number, length: number): string[] =>
  Array.from({ length: count }, (_, i) => `nosuchpath${i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)))}`.padEnd(length, "x"));

/** The request's top-level field mask, if it has one. */
const fieldMaskField = (schema: DescMessage) =>
  schema.fields.find((f) => f.fieldKind === "message" && f.message.typeName === "google.protobuf.FieldMask");

/**
 * Largest error accepted for a large input (field masks of 20 KB and 13 KB here): the message and a few paths
 * cut to 100 characters in the details, in whatever form the protocol carries them.
 */
const SHORT_ERROR = 4_096;

function casesFor(method: DescMethod): Case[] {
  const input = method.input;
  const cases: Case[] = [
    { name: "malformed binary", protocols: ["connect-proto", "grpc-web", "grpc"], body: () => Uint8Array.from([0x0a, 0x05, 0x01]), code: INVALID_ARGUMENT },
    { name: "truncated varint", protocols: ["connect-proto", "grpc-web", "grpc"], body: () => Uint8Array.from([0x08, 0xff]), code: INVALID_ARGUMENT },
    { name: "malformed JSON", protocols: ["connect-json"], body: () => Buffer.from('{"'), code: INVALID_ARGUMENT },
    { name: "wrong JSON types", protocols: ["connect-json"], body: () => wrongTypesJson(input), code: INVALID_ARGUMENT },
    // Fields 1-3 with wire types that may not be theirs: an error, or unknown fields that are skipped.
    { name: "wrong wire type", protocols: ["connect-proto"], maySucceed: true, body: () => Uint8Array.from([0x08, 0x01, 0x12, 0x00, 0x1d, 0, 0, 0, 0]) },
    { name: "truncated envelope", protocols: ["grpc-web"], raw: true, body: () => Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x01]), code: INVALID_ARGUMENT },
  ];
  const nul = fill(input, "a\u0000b");
  if (nul) {
    const message = create(input, nul as never);
    cases.push({
      name: "NUL in every string", protocols: RAW_PROTOCOLS, code: INVALID_ARGUMENT,
      body: (p) => (p === "connect-json" ? Buffer.from(toJsonString(input, message)) : toBinary(input, message)),
    });
  }
  const path = firstStringPath(input);
  if (path) {
    cases.push({
      name: `invalid UTF-8 in ${path.map((f) => f.name).join(".")}`, protocols: RAW_PROTOCOLS, code: INVALID_ARGUMENT,
      body: (p) => (p === "connect-json" ? invalidUtf8Json(path) : invalidUtf8Binary(path)),
    });
  }
  const mask = fieldMaskField(input);
  if (mask) {
    // A field mask bomb: more paths than any mask has (refused by count), or unknown paths (refused as forbidden);
    // either way a short error, not one that echoes every path (grpc-js clients saw INTERNAL for those).
    for (const [count, length] of [[1_000, 20], [90, 150]] as const) {
      const paths = unknownPaths(count, length);
      const message = create(input, { [mask.localName]: { paths } } as never);
      cases.push({
        name: `field mask of ${count} unknown paths of ${length} characters`, protocols: RAW_PROTOCOLS, code: INVALID_ARGUMENT, shortMessage: true,
        body: (p) => (p === "connect-json" ? Buffer.from(toJsonString(input, message)) : toBinary(input, message)),
      });
    }
  }
  const limit = LARGE.has(`${method.parent.typeName}/${method.name}`) ? MAX_PICTURE_BYTES : MAX_BYTES;
  cases.push({
    name: "oversized", protocols: RAW_PROTOCOLS, code: RESOURCE_EXHAUSTED,
    // An unknown field (number 999) of limit + 1 KiB: size alone decides.
    body: (p) => (p === "connect-json" ? Buffer.from(JSON.stringify({ padding: "x".repeat(limit + 1024) })) : lenField(999, new Uint8Array(limit + 1024))),
  });
  return cases;
}

/** A path of `binding` with every variable set to a valid-looking ID. */
const bindingPath = (binding: HttpBinding) =>
  binding.path.template.replace(/\{[^}]+\}/g, "hostile-id").replace(/\*\*?/g, "hostile-id").replace(/:\w+$/, (verb) => verb);

/** The HTTP/JSON API's cases for one binding: bodies for methods that take one, query strings for the rest. */
function httpCases(binding: HttpBinding): { name: string; path: string; body?: Uint8Array; code: number; shortMessage?: boolean }[] {
  const path = bindingPath(binding);
  const input = binding.method.input;
  const bodyDesc = binding.body === "*" ? input : binding.body ? input.fields.find((f) => f.name === binding.body)?.message : undefined;
  const cases: { name: string; path: string; body?: Uint8Array; code: number; shortMessage?: boolean }[] = [];
  if (binding.body) {
    cases.push({ name: "malformed JSON", path, body: Buffer.from('{"'), code: INVALID_ARGUMENT });
    cases.push({ name: "oversized", path, body: Buffer.from(JSON.stringify({ padding: "x".repeat((LARGE.has(`${binding.method.parent.typeName}/${binding.method.name}`) ? MAX_PICTURE_BYTES : MAX_BYTES) + 1024) })), code: INVALID_ARGUMENT });
    if (bodyDesc) {
      cases.push({ name: "wrong JSON types", path, body: wrongTypesJson(bodyDesc), code: INVALID_ARGUMENT });
      const nul = fill(bodyDesc, "a\u0000b");
      if (nul) cases.push({ name: "NUL in every string", path, body: Buffer.from(toJsonString(bodyDesc, create(bodyDesc, nul as never), { useProtoFieldName: true })), code: INVALID_ARGUMENT });
      const stringPath = firstStringPath(bodyDesc);
      if (stringPath) cases.push({ name: "invalid UTF-8", path, body: invalidUtf8Json(stringPath.map((f) => ({ ...f, jsonName: f.name }) as DescField)), code: INVALID_ARGUMENT });
    }
  } else {
    const bound = new Set(binding.path.variables.map((v) => v.fieldPath.split(".")[0]));
    const field = input.fields.find((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && !bound.has(f.name));
    if (field) {
      cases.push({ name: `NUL in ?${field.name}`, path: `${path}?${field.name}=a%00b`, code: INVALID_ARGUMENT });
      cases.push({ name: `invalid UTF-8 in ?${field.name}`, path: `${path}?${field.name}=%FF%FE`, code: INVALID_ARGUMENT });
    }
    const mask = fieldMaskField(input);
    if (mask) {
      // In the query (comma-separated), within the URL length Node accepts.
      for (const [count, length] of [[500, 20], [40, 150]] as const) {
        const paths = unknownPaths(count, length);
        cases.push({ name: `?${mask.name} of ${count} unknown paths`, path: `${path}?${mask.name}=${paths.join(",")}`, code: INVALID_ARGUMENT, shortMessage: true });
      }
    }
  }
  return cases;
}

for (const backend of databaseBackends()) {
  describe(`hostile inputs on ${backend.name}`, () => {
    let db: PreparedDatabase;
    let server: ServerProcess;
    let control: Awaited<ReturnType<typeof startControlServer>>;
    beforeAll(async () => {
      control = await startControlServer();
      db = await prepareDatabase(backend);
      server = await startServerProcess(db, { MAX_REQUEST_BYTES: String(MAX_BYTES), MAX_PICTURE_REQUEST_BYTES: String(MAX_PICTURE_BYTES) });
    }, 300_000); // a server process start, slow on a busy machine
    afterAll(async () => {
      closeGrpcClients();
      control?.stop();
      await server?.stop();
      await db?.dispose();
    });

    let report: HealthReport;
    it(`answers every malformed request to ${METHODS.length} RPCs in 4 protocols and the HTTP/JSON API as the client's error, health checks staying fast`, async () => {
      // Warm up first (connections, the server's first answer of each kind): the attack is measured, not start-up.
      for (const c of casesFor(METHODS[0]!)) {
        for (const protocol of c.protocols) await rawCall(server.baseUrl, METHODS[0]!, protocol, c.body(protocol), { raw: c.raw });
      }
      const monitor = monitorHealth(server.baseUrl, control.url);
      const wrong: string[] = [];
      let calls = 0;
      const started = Date.now();
      try {
        for (const [i, method] of METHODS.entries()) {
          // Bounds are checked before authentication: half the methods are called anonymously, half as the admin.
          const token = i % 2 ? db.adminKey : undefined;
          for (const c of casesFor(method)) {
            for (const protocol of c.protocols) {
              let answer: RawAnswer;
              doing(`${method.name} ${protocol} ${c.name}`);
              try {
                answer = await rawCall(server.baseUrl, method, protocol, c.body(protocol), { raw: c.raw, token });
              } catch (err) {
                wrong.push(`${method.parent.name}/${method.name} ${protocol} ${c.name}: ${(err as Error).message}`);
                continue;
              }
              calls++;
              const ok = answer.status < 500 && !NEVER.has(answer.code) && (answer.code !== 0 || c.maySucceed) && (c.code === undefined || answer.code === c.code)
                && (!c.shortMessage || answer.size <= SHORT_ERROR);
              if (!ok) wrong.push(`${method.parent.name}/${method.name} ${protocol} ${c.name}${token ? " (admin)" : ""}: HTTP ${answer.status}, code ${answer.code}, ${answer.size} bytes: ${answer.message.slice(0, 120)}`);
            }
          }
        }
        // The HTTP/JSON API: every binding of every method.
        for (const [i, binding] of httpBindings(METHODS).entries()) {
          const token = i % 2 ? db.adminKey : undefined;
          for (const c of httpCases(binding)) {
            doing(`${binding.httpMethod} ${c.path.slice(0, 80)} ${c.name}`);
            const answer = await httpApiCall(server.baseUrl, binding.httpMethod, c.path, c.body, token);
            calls++;
            const ok = answer.status >= 400 && answer.status < 500 && answer.code === c.code && (!c.shortMessage || answer.size <= SHORT_ERROR);
            if (!ok) wrong.push(`${binding.httpMethod} /api/v3${c.path.slice(0, 80)} ${c.name}: HTTP ${answer.status}, code ${answer.code}, ${answer.size} bytes: ${answer.message.slice(0, 120)}`);
          }
        }
      } finally {
        report = await monitor.stop();
      }
      console.log(`${calls} hostile calls in ${Date.now() - started} ms; health: ${JSON.stringify(report)}`);
      expect(wrong).toEqual([]);
      expect(calls).toBeGreaterThan(METHODS.length * 15);
      expect(report.failures).toBe(0);
      expect(report.checks).toBeGreaterThan(10);
      // Health checks stay under 500 ms. On a machine shared with other work a single check can be late because
      // the scheduler ran something else, which an idle process beside this one shows: so a late check counts
      // only while that one answered at once, one in a hundred of those is tolerated, and never three in a row
      // (the original failure was every check taking seconds for as long as the attack went on).
      const tolerated = Math.max(1, Math.floor(report.checks / 100));
      expect(report.slowWhileMachineResponsive, `late health checks: ${JSON.stringify(report)}`).toBeLessThanOrEqual(tolerated);
      expect(report.longestSlowStreak, `late health checks: ${JSON.stringify(report)}`).toBeLessThanOrEqual(2);
    }, 300_000);
  });
}
