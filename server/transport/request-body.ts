// An RPC's request body, bounded and checked before Connect sees it: read up to the method's size limit
// (refused early when Content-Length says it is larger), unwrapped from its gRPC envelope, decompressed (again
// bounded), and for the binary encoding decoded, so a body that is not the method's message is refused as
// INVALID_ARGUMENT (Connect itself would call a failed binary parse an internal error). What passes is handed on
// decoded or uncompressed, so Connect never decompresses or fails on anything the client controls.
import type http from "node:http";
import type http2 from "node:http2";
import { brotliDecompress, gunzip, type InputType } from "node:zlib";
import { fromBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { JsonNestingGuard, MAX_JSON_NESTING } from "./json-nesting.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;

/** The request encodings this checks; anything else goes to Connect untouched (it refuses what it cannot serve). */
export type BodyKind =
  | { protocol: "connect"; binary: boolean }
  | { protocol: "grpc" | "grpc-web"; binary: boolean };

export function bodyKind(method: string | undefined, contentType: string | undefined): BodyKind | undefined {
  if (method !== "POST" || !contentType) return undefined;
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  switch (type) {
    case "application/json": return { protocol: "connect", binary: false };
    case "application/proto": return { protocol: "connect", binary: true };
    case "application/grpc": case "application/grpc+proto": return { protocol: "grpc", binary: true };
    case "application/grpc+json": return { protocol: "grpc", binary: false };
    case "application/grpc-web": case "application/grpc-web+proto": return { protocol: "grpc-web", binary: true };
    case "application/grpc-web+json": return { protocol: "grpc-web", binary: false };
    default: return undefined;
  }
}

export type Checked =
  /** The message's bytes, uncompressed; for the binary encoding also the message they decode to. */
  | { ok: true; message: Uint8Array; decoded?: Message }
  | { ok: false; problem: "too_large" }
  | { ok: false; problem: "malformed"; reason: string };

/** Bytes a gRPC envelope adds to a message: one flag byte and a four-byte length. */
export const ENVELOPE_BYTES = 5;

/**
 * Reads the body, at most `limit` bytes of it. Resolves "too_large" as soon as it is known (from Content-Length,
 * or when the limit is passed) and then stops reading: the caller answers and closes the exchange.
 */
export function readBody(req: NodeRequest, limit: number): Promise<Uint8Array | "too_large"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve("too_large");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      req.off("close", onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.pause(); // not destroyed: on HTTP/1.1 that would take the socket, and the answer, with it
        resolve("too_large");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => { done(); resolve(Buffer.concat(chunks, size)); };
    const onError = (err: Error) => { done(); reject(err); };
    const onAborted = () => { done(); reject(new Error("request aborted by the client")); };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
    req.on("close", onAborted); // gone before the end (and before any error event)
  });
}

const decompressors: Record<string, (data: InputType, options: { maxOutputLength: number }, cb: (err: Error | null, out: Buffer) => void) => void> = {
  gzip: gunzip,
  br: brotliDecompress,
};

/** Decompresses `data` with `encoding` ("identity" or absent: as is); undefined when the encoding is not ours. */
async function decompress(data: Uint8Array, encoding: string | undefined, limit: number): Promise<Checked | undefined> {
  if (!encoding || encoding === "identity") return { ok: true, message: data };
  const decompressor = decompressors[encoding];
  if (!decompressor) return undefined;
  return new Promise((resolve) => {
    decompressor(data, { maxOutputLength: limit }, (err, out) => {
      if (!err) resolve({ ok: true, message: out });
      else if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") resolve({ ok: false, problem: "too_large" });
      else resolve({ ok: false, problem: "malformed", reason: `not valid ${encoding} data` });
    });
  });
}

/**
 * The message bytes of a body of `kind`, uncompressed and, for the binary encoding, decoded as `input`;
 * undefined when the body uses a compression this does not know (Connect then answers as it does).
 */
export async function checkBody(
  body: Uint8Array, kind: BodyKind, headers: NodeRequest["headers"], input: DescMessage, limit: number,
): Promise<Checked | undefined> {
  let checked: Checked | undefined;
  if (kind.protocol === "connect") {
    checked = await decompress(body, header(headers, "content-encoding"), limit);
  } else {
    // A unary call carries exactly one message in one envelope.
    if (body.length < ENVELOPE_BYTES) return { ok: false, problem: "malformed", reason: "incomplete gRPC message envelope" };
    const flags = body[0]!;
    const length = Buffer.from(body.buffer, body.byteOffset, body.byteLength).readUInt32BE(1);
    if (body.length !== ENVELOPE_BYTES + length) return { ok: false, problem: "malformed", reason: "the body is not one gRPC message" };
    if (flags & ~1) return { ok: false, problem: "malformed", reason: "unknown gRPC message flags" };
    const payload = body.subarray(ENVELOPE_BYTES);
    checked = flags & 1 ? await decompress(payload, header(headers, "grpc-encoding") ?? "unknown", limit) : { ok: true, message: payload };
  }
  if (!checked?.ok) return checked;
  if (!kind.binary) {
    // JSON.parse spends seconds on a few MiB of nothing but `[`: refuse deep nesting before Connect parses it.
    if (!new JsonNestingGuard().push(checked.message)) {
      return { ok: false, problem: "malformed", reason: `JSON nested more than ${MAX_JSON_NESTING} levels deep` };
    }
    return checked;
  }
  try {
    return { ok: true, message: checked.message, decoded: fromBinary(input, checked.message) };
  } catch (err) {
    return { ok: false, problem: "malformed", reason: String((err as Error).message ?? err).slice(0, 200) };
  }
}

const header = (headers: NodeRequest["headers"], name: string): string | undefined => {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim().toLowerCase() || undefined;
};

/** `message` as the body Connect expects for `kind`: as is for Connect, in an uncompressed envelope for gRPC(-Web). */
export function encodeBody(message: Uint8Array, kind: BodyKind): Uint8Array {
  if (kind.protocol === "connect") return message;
  const out = new Uint8Array(ENVELOPE_BYTES + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, ENVELOPE_BYTES);
  return out;
}

const EMPTY_MESSAGE = { binary: new Uint8Array(0), json: new TextEncoder().encode("{}") };

/** A body that parses as the empty message in `kind`'s encoding: what Connect gets when it need not decode one. */
export function emptyBody(kind: BodyKind): Uint8Array {
  return encodeBody(kind.binary ? EMPTY_MESSAGE.binary : EMPTY_MESSAGE.json, kind);
}
