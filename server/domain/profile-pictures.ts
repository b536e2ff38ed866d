// Profile pictures. Upstream decodes an embedded picture, crops and
// re-encodes it and stores it with thumbnails in a bucket, and keeps only `sizes` URLs on the user. We cannot
// decode images here (no native image library), so we keep the visible shape without re-encoding: we accept only
// raster types recognised by their magic bytes, store the bytes as they are, and keep one relative size-0 path
// ("original", as upstream's bucket does without thumbnails) that readers see under PUBLIC_URL.
import { randomUUID } from "node:crypto";
import type { Picture } from "../../gen/ttn/lorawan/v3/picture_pb.js";
import * as errors from "./error-catalog.js";

/** Where our own pictures are served, relative to PUBLIC_URL; stored sizes hold `<this>/<picture id>`. */
export const PROFILE_PICTURES_PATH = "profile-pictures";

/**
 * Raster types only. Never SVG (or anything else a browser may render as a document): the bytes are served
 * from our own origin, where a script inside them would run with the origin's cookies.
 */
const SIGNATURES: { type: string; matches: (d: Uint8Array) => boolean }[] = [
  { type: "image/png", matches: (d) => startsWith(d, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: "image/jpeg", matches: (d) => startsWith(d, [0xff, 0xd8, 0xff]) },
  { type: "image/gif", matches: (d) => startsWith(d, ascii("GIF87a")) || startsWith(d, ascii("GIF89a")) },
  { type: "image/webp", matches: (d) => startsWith(d, ascii("RIFF")) && startsWith(d.subarray(8), ascii("WEBP")) },
];

/** Names clients use for the same types. */
const ALIASES: Record<string, string> = { "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png" };

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

function startsWith(data: Uint8Array, prefix: number[]): boolean {
  return data.length >= prefix.length && prefix.every((b, i) => data[i] === b);
}

/** The image type of `data` by its magic bytes, or undefined when it is not one we accept. */
function detectImageType(data: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.matches(data))?.type;
}

/** A declared MIME type in canonical form: lower case, without parameters, common aliases resolved. */
function canonicalMimeType(declared: string): string {
  const bare = declared.split(";")[0]!.trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

export interface PictureUpload {
  /** New for every upload, never reused: the URL of an upload never changes what it shows. */
  id: string;
  mimeType: string;
  data: Uint8Array;
}

export interface ProcessedPicture {
  /** What users.profile_picture stores: the Picture message in JSON without embedded data. */
  column: { sizes: Record<string, string> };
  upload?: PictureUpload;
}

/** True when a picture carries nothing to store (no embedded bytes and no sizes). */
export function isEmptyPicture(picture: Picture | undefined): boolean {
  return !picture || (!picture.embedded?.data.length && !Object.keys(picture.sizes).length);
}

/**
 * Turns a client's picture into what is stored, or undefined for none. Embedded bytes become an upload with a
 * relative size-0 path; external URLs are reduced to the original (size 0) or else the largest size.
 * `field` is the picture's path in the request (e.g. "user.profile_picture"), named in validation errors.
 */
export function processPicture(picture: Picture | undefined, field: string, requestName: string): ProcessedPicture | undefined {
  if (!picture || isEmptyPicture(picture)) return undefined;
  const embedded = picture.embedded;
  if (embedded?.data.length) {
    const detected = detectImageType(embedded.data);
    if (!detected) {
      throw errors.validation.field(requestName, `${field}.embedded.data`, "must be a PNG, JPEG, GIF or WebP image", "picture.image_type");
    }
    if (embedded.mimeType && canonicalMimeType(embedded.mimeType) !== detected) {
      throw errors.validation.field(
        requestName, `${field}.embedded.mime_type`, `does not match the picture data (${detected})`, "picture.mime_type_matches_data",
      );
    }
    const id = randomUUID();
    return { column: { sizes: { "0": `${PROFILE_PICTURES_PATH}/${id}` } }, upload: { id, mimeType: detected, data: embedded.data } };
  }
  const sizes = picture.sizes;
  const key = 0 in sizes ? 0 : Math.max(...Object.keys(sizes).map(Number));
  return { column: { sizes: { [String(key)]: sizes[key]! } } };
}

/** A stored size as readers see it: relative paths (our own uploads) are made absolute under `publicUrl`. */
export function absolutePictureUrl(url: string, publicUrl: string): string {
  if (!url || /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//")) return url;
  return `${publicUrl}/${url.replace(/^\/+/, "")}`;
}
