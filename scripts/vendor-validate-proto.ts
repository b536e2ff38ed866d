// Re-creates proto/third_party/buf/validate/validate.proto from the file
// descriptor that @bufbuild/protovalidate embeds, because no npm package ships
// the .proto source and we use no Buf Schema Registry dependencies.
//
//   npx tsx scripts/vendor-validate-proto.ts           write the file
//   npx tsx scripts/vendor-validate-proto.ts --verify  write, `buf build` it, compare descriptors
//
// Repeated option values are printed as repeated entries (never `[a, b]` lists)
// so that protobufjs-based loaders such as @grpc/proto-loader accept the file.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type DescExtension,
  type DescMessage,
  type Message,
  createRegistry,
  fromBinary,
  getExtension,
  hasExtension,
  isFieldSet,
  toBinary,
  clone,
} from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_descriptor,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outRel = "proto/third_party/buf/validate/validate.proto";

const file: FileDescriptorProto = file_buf_validate_validate.proto;
const pkg = file.package;
// Custom options of this file are extensions defined by the file itself.
const extensions: DescExtension[] = file_buf_validate_validate.extensions;

const INDENT = "  ";

function escapeString(s: string): string {
  let out = "";
  for (const ch of s) {
    switch (ch) {
      case "\\": out += "\\\\"; break;
      case '"': out += '\\"'; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\t": out += "\\t"; break;
      default: {
        const cp = ch.codePointAt(0)!;
        out += cp < 0x20 || cp === 0x7f ? "\\" + cp.toString(8).padStart(3, "0") : ch;
      }
    }
  }
  return `"${out}"`;
}

function typeRef(name: string): string {
  // Fully-qualified names start with a dot; drop our own package for readability.
  const fq = name.replace(/^\./, "");
  return fq.startsWith(pkg + ".") ? fq.slice(pkg.length + 1) : fq;
}

// Prints a scalar or enum value in text format.
function scalarText(field: DescMessage["fields"][number], value: unknown): string {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) {
    const e = field.fieldKind === "enum" ? field.enum : (field as { enum: { values: { number: number; name: string }[] } }).enum;
    const v = e.values.find((x) => x.number === value);
    return v ? v.name : String(value);
  }
  if (typeof value === "string") return escapeString(value);
  if (value instanceof Uint8Array) return escapeString(Buffer.from(value).toString("latin1"));
  return String(value);
}

// Text-format body of a message value (inside `{ ... }`), one entry per repeated element.
function messageText(desc: DescMessage, msg: Message): string {
  const parts: string[] = [];
  for (const field of desc.fields) {
    if (!isFieldSet(msg as never, field)) continue;
    const value = (msg as unknown as Record<string, unknown>)[field.localName];
    const v = field.oneof ? (value as { case?: string; value: unknown }) : undefined;
    const actual = field.oneof ? (v!.case === field.localName ? v!.value : undefined) : value;
    if (actual === undefined) continue;
    const items = field.fieldKind === "list" ? (actual as unknown[]) : [actual];
    for (const item of items) {
      if (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) {
        parts.push(`${field.name}: {${messageText(field.message!, item as Message)}}`);
      } else if (field.fieldKind === "map") {
        throw new Error(`map option values are not supported (${field.name})`);
      } else {
        parts.push(`${field.name}: ${scalarText(field, item)}`);
      }
    }
  }
  return parts.length ? " " + parts.join(" ") + " " : "";
}

// All options set on an options message, as `name = value` entries.
// Extension values that are messages are split by their top-level fields so that a
// repeated field becomes repeated entries: `(ext).cel = {...}, (ext).cel = {...}`.
function optionEntries(opts: Message | undefined, schemaName: string): string[] {
  if (!opts) return [];
  const registry = createRegistry(file_google_protobuf_descriptor);
  const desc = registry.getMessage(schemaName);
  if (!desc) throw new Error(`unknown options type ${schemaName}`);
  const entries: string[] = [];
  for (const field of desc.fields) {
    if (field.name === "uninterpreted_option") continue;
    if (!isFieldSet(opts as never, field)) continue;
    const value = (opts as unknown as Record<string, unknown>)[field.localName];
    const items = field.fieldKind === "list" ? (value as unknown[]) : [value];
    for (const item of items) {
      if (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) {
        entries.push(`${field.name} = {${messageText(field.message!, item as Message)}}`);
      } else {
        entries.push(`${field.name} = ${scalarText(field, item)}`);
      }
    }
  }
  for (const ext of extensions) {
    if (ext.extendee.typeName !== schemaName) continue;
    if (!hasExtension(opts as never, ext)) continue;
    const value = getExtension(opts as never, ext) as unknown;
    const name = `(${typeRef(ext.typeName)})`;
    if (ext.fieldKind !== "message") {
      entries.push(`${name} = ${scalarText(ext as never, value)}`);
      continue;
    }
    const sub = ext.message;
    for (const f of sub.fields) {
      if (!isFieldSet(value as never, f)) continue;
      const fv = (value as Record<string, unknown>)[f.localName];
      const items = f.fieldKind === "list" ? (fv as unknown[]) : [fv];
      for (const item of items) {
        if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) {
          entries.push(`${name}.${f.name} = {${messageText(f.message!, item as Message)}}`);
        } else if (f.oneof) {
          throw new Error(`oneof option values are not supported (${f.name})`);
        } else {
          entries.push(`${name}.${f.name} = ${scalarText(f, item)}`);
        }
      }
    }
  }
  return entries;
}

const scalarNames: Partial<Record<FieldDescriptorProto_Type, string>> = {
  [FieldDescriptorProto_Type.DOUBLE]: "double",
  [FieldDescriptorProto_Type.FLOAT]: "float",
  [FieldDescriptorProto_Type.INT64]: "int64",
  [FieldDescriptorProto_Type.UINT64]: "uint64",
  [FieldDescriptorProto_Type.INT32]: "int32",
  [FieldDescriptorProto_Type.FIXED64]: "fixed64",
  [FieldDescriptorProto_Type.FIXED32]: "fixed32",
  [FieldDescriptorProto_Type.BOOL]: "bool",
  [FieldDescriptorProto_Type.STRING]: "string",
  [FieldDescriptorProto_Type.BYTES]: "bytes",
  [FieldDescriptorProto_Type.UINT32]: "uint32",
  [FieldDescriptorProto_Type.SFIXED32]: "sfixed32",
  [FieldDescriptorProto_Type.SFIXED64]: "sfixed64",
  [FieldDescriptorProto_Type.SINT32]: "sint32",
  [FieldDescriptorProto_Type.SINT64]: "sint64",
};

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function fieldLine(f: FieldDescriptorProto, inOneof: boolean): string {
  if (f.type === FieldDescriptorProto_Type.GROUP) throw new Error("groups are not supported");
  let label = "";
  if (!inOneof) {
    if (f.label === FieldDescriptorProto_Label.REPEATED) label = "repeated ";
    else if (f.label === FieldDescriptorProto_Label.REQUIRED) label = "required ";
    else if (file.syntax !== "proto3" || f.proto3Optional) label = "optional ";
  }
  const type =
    f.type === FieldDescriptorProto_Type.MESSAGE || f.type === FieldDescriptorProto_Type.ENUM
      ? typeRef(f.typeName)
      : scalarNames[f.type]!;
  const opts: string[] = [];
  if (f.defaultValue !== undefined && f.defaultValue !== "") {
    opts.push(`default = ${f.type === FieldDescriptorProto_Type.STRING ? escapeString(f.defaultValue) : f.defaultValue}`);
  }
  if (f.jsonName && f.jsonName !== camel(f.name)) opts.push(`json_name = ${escapeString(f.jsonName)}`);
  opts.push(...optionEntries(f.options, "google.protobuf.FieldOptions"));
  if (opts.length === 0) return `${label}${type} ${f.name} = ${f.number};`;
  if (opts.length === 1) return `${label}${type} ${f.name} = ${f.number} [${opts[0]}];`;
  return `${label}${type} ${f.name} = ${f.number} [\n${opts.map((o) => INDENT + o).join(",\n")}\n];`;
}

function indent(lines: string[], depth: number): string[] {
  return lines.map((l) => l.split("\n").map((x) => (x ? INDENT.repeat(depth) + x : x)).join("\n"));
}

function optionLines(opts: Message | undefined, schema: string): string[] {
  return optionEntries(opts, schema).map((o) => `option ${o};`);
}

function enumLines(e: EnumDescriptorProto): string[] {
  const body: string[] = [...optionLines(e.options, "google.protobuf.EnumOptions")];
  for (const v of e.value) {
    const o = optionEntries(v.options, "google.protobuf.EnumValueOptions");
    body.push(`${v.name} = ${v.number}${o.length ? ` [${o.join(", ")}]` : ""};`);
  }
  for (const r of e.reservedRange) body.push(`reserved ${r.start === r.end ? r.start : `${r.start} to ${r.end}`};`);
  if (e.reservedName.length) body.push(`reserved ${e.reservedName.map(escapeString).join(", ")};`);
  return [`enum ${e.name} {`, ...indent(body, 1), "}"];
}

const MAX_FIELD = 536870911;

function rangeText(start: number, endExclusive: number): string {
  const end = endExclusive - 1;
  if (end >= MAX_FIELD) return `${start} to max`;
  return start === end ? `${start}` : `${start} to ${end}`;
}

// descriptor.proto is proto2: presence, not the value, tells whether a field is in a oneof.
const oneofIndexField = FieldDescriptorProtoSchema.fields.find((f) => f.name === "oneof_index")!;
function oneofOf(f: FieldDescriptorProto): number | undefined {
  return isFieldSet(f as never, oneofIndexField) ? f.oneofIndex : undefined;
}

function messageLines(m: DescriptorProto): string[] {
  const body: string[] = [...optionLines(m.options, "google.protobuf.MessageOptions")];
  for (const e of m.enumType) body.push(...enumLines(e), "");
  for (const n of m.nestedType) {
    if (n.options?.mapEntry) throw new Error("map fields are not supported");
    body.push(...messageLines(n), "");
  }
  const printedOneofs = new Set<number>();
  for (const f of m.field) {
    const oi = oneofOf(f);
    if (oi !== undefined && !f.proto3Optional) {
      if (printedOneofs.has(oi)) continue;
      printedOneofs.add(oi);
      const decl = m.oneofDecl[oi]!;
      const inner = [
        ...optionLines(decl.options, "google.protobuf.OneofOptions"),
        ...m.field.filter((x) => oneofOf(x) === oi).map((x) => fieldLine(x, true)),
      ];
      body.push(`oneof ${decl.name} {`, ...indent(inner, 1), "}");
      continue;
    }
    body.push(fieldLine(f, false));
  }
  for (const r of m.extensionRange) {
    const o = optionEntries(r.options, "google.protobuf.ExtensionRangeOptions");
    body.push(`extensions ${rangeText(r.start, r.end)}${o.length ? ` [${o.join(", ")}]` : ""};`);
  }
  for (const r of m.reservedRange) body.push(`reserved ${rangeText(r.start, r.end)};`);
  if (m.reservedName.length) body.push(`reserved ${m.reservedName.map(escapeString).join(", ")};`);
  if (m.extension.length) throw new Error("nested extensions are not supported");
  while (body.at(-1) === "") body.pop();
  return [`message ${m.name} {`, ...indent(body, 1), "}"];
}

function printFile(): string {
  if (file.service.length) throw new Error("services are not supported");
  const out: string[] = [
    "// Copyright 2023-2025 Buf Technologies, Inc.",
    "//",
    '// Licensed under the Apache License, Version 2.0 (the "License");',
    "// you may not use this file except in compliance with the License.",
    "// You may obtain a copy of the License at",
    "//",
    "//      http://www.apache.org/licenses/LICENSE-2.0",
    "//",
    "// Unless required by applicable law or agreed to in writing, software",
    '// distributed under the License is distributed on an "AS IS" BASIS,',
    "// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.",
    "// See the License for the specific language governing permissions and",
    "// limitations under the License.",
    "",
    "// GENERATED by scripts/vendor-validate-proto.ts from the descriptor embedded in",
    "// @bufbuild/protovalidate. Do not edit; re-run the script instead.",
    "",
    `syntax = "${file.syntax || "proto2"}";`,
    "",
    `package ${file.package};`,
    "",
    ...file.dependency.map((d) => `import "${d}";`),
    "",
    ...optionLines(file.options, "google.protobuf.FileOptions"),
    "",
  ];
  // Extensions, grouped by extendee in declaration order.
  const byExtendee = new Map<string, FieldDescriptorProto[]>();
  for (const x of file.extension) {
    const list = byExtendee.get(x.extendee) ?? [];
    list.push(x);
    byExtendee.set(x.extendee, list);
  }
  for (const [extendee, list] of byExtendee) {
    out.push(`extend ${typeRef(extendee)} {`, ...indent(list.map((x) => fieldLine(x, false)), 1), "}", "");
  }
  for (const e of file.enumType) out.push(...enumLines(e), "");
  for (const m of file.messageType) out.push(...messageLines(m), "");
  while (out.at(-1) === "") out.pop();
  return out.join("\n") + "\n";
}

// Normalises a descriptor the way protoc-gen-es embeds it, for comparison.
function normalise(fd: FileDescriptorProto): Uint8Array {
  const c = clone(FileDescriptorProtoSchema, fd);
  c.sourceCodeInfo = undefined;
  // `buf build` adds its own image metadata as an unknown top-level field (8042).
  c.$unknown = c.$unknown?.filter((u) => u.no !== 8042);
  if (c.$unknown?.length === 0) c.$unknown = undefined;
  const walk = (m: DescriptorProto) => {
    for (const f of [...m.field, ...m.extension]) if (f.jsonName === camel(f.name)) f.jsonName = "";
    m.nestedType.forEach(walk);
  };
  c.messageType.forEach(walk);
  for (const f of c.extension) if (f.jsonName === camel(f.name)) f.jsonName = "";
  return toBinary(FileDescriptorProtoSchema, c);
}

const outPath = join(root, outRel);
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, printFile());
console.log(`wrote ${outRel}`);

if (process.argv.includes("--verify")) {
  const tmp = join(root, "node_modules/.cache/vendor-validate.binpb");
  mkdirSync(dirname(tmp), { recursive: true });
  execFileSync(join(root, "node_modules/.bin/buf"), ["build", "--path", outRel, "--exclude-source-info", "-o", tmp], {
    cwd: root,
    stdio: "inherit",
  });
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(tmp));
  const built = set.file.find((f) => f.name === "buf/validate/validate.proto");
  if (!built) throw new Error("buf build did not produce buf/validate/validate.proto");
  const a = normalise(built);
  const b = normalise(file);
  if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) {
    console.error("descriptor MISMATCH between printed proto and embedded descriptor");
    process.exit(1);
  }
  console.log("verified: buf build output matches the embedded descriptor");
}
