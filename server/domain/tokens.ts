// Bearer token formats and secret digests. Token text must match upstream byte for byte so
// existing clients, the CLI and imported keys keep working.
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import { malformedToken } from "./error-catalog.js";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding (upstream uses Go's StdEncoding.WithPadding(NoPadding)). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1; // keep only unread bits so the accumulator never overflows
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Token kinds and their wire prefix: base32 of the three-letter kind name. */
export const TOKEN_PREFIXES = {
  key: "NNSXS", // API key
  acc: "MFRWG", // OAuth access token
  ref: "OJSWM", // OAuth refresh token
  aut: "MF2XI", // OAuth authorization code
  ssn: "ONZW4", // session token
} as const;
export type TokenKind = keyof typeof TOKEN_PREFIXES;

const KIND_BY_PREFIX = new Map<string, TokenKind>(
  Object.entries(TOKEN_PREFIXES).map(([kind, prefix]) => [prefix, kind as TokenKind]),
);

// 24 bytes → 39 chars of ID (stored in clear, looked up by index); 32 bytes → 52 chars of secret (only digested).
const ID_BYTES = 24;
const SECRET_BYTES = 32;

export interface Token {
  kind: TokenKind;
  id: string;
  secret: string;
  /** `<PREFIX>.<ID>.<SECRET>`, shown to the user once. */
  token: string;
}

export function joinToken(kind: TokenKind, id: string, secret: string): string {
  return `${TOKEN_PREFIXES[kind]}.${id}.${secret}`;
}

export function generateToken(kind: TokenKind): Token {
  const id = base32Encode(randomBytes(ID_BYTES));
  const secret = base32Encode(randomBytes(SECRET_BYTES));
  return { kind, id, secret, token: joinToken(kind, id, secret) };
}

/** An API key, `NNSXS.<39-char id>.<52-char secret>`: 98 chars (5 + 1 + 39 + 1 + 52). */
export function generateApiKey(): Token {
  return generateToken("key");
}

/**
 * Splits a bearer token. Not exactly three parts or an unknown prefix → `pkg/auth:token` (INVALID_ARGUMENT, as
 * upstream). Deciding which kinds are acceptable (e.g. refusing `ref`/`aut`) is the authenticator's job.
 */
export function splitToken(token: string): { kind: TokenKind; id: string; secret: string } {
  const parts = token.split(".");
  if (parts.length !== 3) throw malformedToken();
  const [prefix, id, secret] = parts as [string, string, string];
  const kind = KIND_BY_PREFIX.get(prefix);
  if (!kind) throw malformedToken();
  return { kind, id, secret };
}

/** 32 random bytes as 52 base32 chars: temporary passwords, login tokens, invitation tokens. */
export function randomKey(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

const DIGEST_PREFIX = "sha256:";

/**
 * Digest stored for a generated secret. The secrets carry 256 random bits, so brute force and rainbow tables
 * are hopeless and a salted slow hash would only cost CPU on every authenticated request; plain SHA-256 is
 * enough. The `sha256:` prefix leaves room for other schemes; a digest without it never matches.
 */
export function digestSecret(secret: string): string {
  return DIGEST_PREFIX + hash("sha256", secret, "hex");
}

/** Constant-time comparison of a presented secret against its stored digest. */
export function secretMatches(storedDigest: string, secret: string): boolean {
  if (!storedDigest.startsWith(DIGEST_PREFIX)) return false;
  const stored = Buffer.from(storedDigest.slice(DIGEST_PREFIX.length), "hex");
  const presented = hash("sha256", secret, "buffer"); // one call: this runs on every authenticated request
  // Length differs only for a corrupt digest; timingSafeEqual would throw, and the length is not secret.
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}
