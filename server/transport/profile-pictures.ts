// GET/HEAD /profile-pictures/<id>: the uploaded profile pictures, public as upstream's bucket is (no
// authentication). The user's profile_picture points here (relative sizes made absolute with PUBLIC_URL).
import type http from "node:http";
import type http2 from "node:http2";
import { PROFILE_PICTURES_PATH } from "../domain/profile-pictures.js";
import type { Logger } from "../logger.js";
import type { Db } from "../store/db.js";
import { findServedPicture } from "../store/profile-pictures.js";
import { requestIdOf } from "../ops/request-id.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const PREFIX = `/${PROFILE_PICTURES_PATH}/`;

// The bytes are user content on our origin: never sniffed into another type, never run as a document.
const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'",
};

/** Answers requests under /profile-pictures/ and returns true; false for every other request. */
export function serveProfilePicture(req: Req, res: Res, db: Db, logger: Logger): boolean {
  const url = req.url ?? "/";
  if (!url.startsWith(PREFIX)) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" }, "method not allowed");
    return true;
  }
  const id = url.slice(PREFIX.length).split("?")[0]!; // a non-UUID (or a sub-path) is refused without a query
  findServedPicture(db, id).then(
    (picture) => {
      if (!picture) return notFound(res);
      const body = Buffer.from(picture.data.buffer, picture.data.byteOffset, picture.data.byteLength);
      send(res, 200, {
        "content-type": picture.mimeType,
        "content-length": String(body.length),
        // A picture ID is never reused (a new upload gets a new one), so its bytes never change.
        "cache-control": "public, max-age=31536000, immutable",
      }, req.method === "HEAD" ? undefined : body);
    },
    (err: unknown) => {
      logger.error({ err, url, request_id: requestIdOf(req) }, "could not serve a profile picture");
      if (!res.headersSent) send(res, 500, { "content-type": "text/plain; charset=utf-8" }, "internal error");
    },
  );
  return true;
}

/** Unknown, removed, or its user is soft-deleted (a Restore brings it back): so not cached. */
function notFound(res: Res): void {
  send(res, 404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }, "not found");
}

function send(res: Res, status: number, headers: Record<string, string>, body?: string | Buffer): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries({ ...SECURITY_HEADERS, ...headers })) res.setHeader(k, v);
  if (body === undefined) res.end();
  else res.end(body);
}
