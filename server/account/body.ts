// Request bodies of the account app: JSON when the content type says so, otherwise a URL-encoded form
// (upstream parses any other content type as a form).
import type http from "node:http";
import type http2 from "node:http2";
import * as errors from "../domain/error-catalog.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;

/** Logins are tiny; anything larger is not a login. */
const MAX_BODY_BYTES = 64 * 1024;

async function readText(req: Req): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw errors.accountParse();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The string fields of the body; a body that does not parse is `pkg/account:parse` (Aborted, 409). */
export async function readFields(req: Req): Promise<Record<string, string>> {
  const text = await readText(req);
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    let parsed: unknown;
    try {
      parsed = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      throw errors.accountParse();
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw errors.accountParse();
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  }
  return Object.fromEntries(new URLSearchParams(text));
}
