import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import {
  TOKEN_PREFIXES,
  base32Encode,
  digestSecret,
  generateApiKey,
  generateToken,
  joinToken,
  randomKey,
  secretMatches,
  splitToken,
} from "../../server/domain/tokens.js";
import { malformedToken } from "../../server/domain/error-catalog.js";

describe("base32", () => {
  it.each([
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ])("encodes %j as RFC 4648 without padding", (input, expected) => {
    expect(base32Encode(Buffer.from(input))).toBe(expected);
  });

  it("derives every token prefix from its kind name", () => {
    for (const [kind, prefix] of Object.entries(TOKEN_PREFIXES)) {
      expect(base32Encode(Buffer.from(kind))).toBe(prefix);
    }
  });
});

describe("tokens", () => {
  it("generates API keys in the upstream shape", () => {
    const key = generateApiKey();
    expect(key.kind).toBe("key");
    expect(key.id).toMatch(/^[A-Z2-7]{39}$/);
    expect(key.secret).toMatch(/^[A-Z2-7]{52}$/);
    expect(key.token).toBe(`NNSXS.${key.id}.${key.secret}`);
    expect(key.token).toHaveLength(98); // 5 + 1 + 39 + 1 + 52; the spec's "97" miscounts
    expect(generateApiKey().id).not.toBe(key.id);
  });

  it("splits a generated key and re-joins it to itself", () => {
    const key = generateApiKey();
    const parts = splitToken(key.token);
    expect(parts).toEqual({ kind: "key", id: key.id, secret: key.secret });
    expect(joinToken(parts.kind, parts.id, parts.secret)).toBe(key.token);
  });

  it.each(["acc", "ref", "aut", "ssn"] as const)("round-trips %s tokens", (kind) => {
    const t = generateToken(kind);
    expect(t.token.startsWith(`${TOKEN_PREFIXES[kind]}.`)).toBe(true);
    expect(splitToken(t.token).kind).toBe(kind);
  });

  it.each(["FOO", "FOO.FOO", "FOO.FOO.FOO", "FOO.FOO.FOO.FOO", ""])("refuses %j with pkg/auth:token (3)", (token) => {
    let caught: unknown;
    try {
      splitToken(token);
    } catch (err) {
      caught = err;
    }
    expect(malformedToken.is(caught)).toBe(true);
    expect((caught as { code: number }).code).toBe(3);
  });

  it("makes 52-char random keys", () => {
    expect(randomKey()).toMatch(/^[A-Z2-7]{52}$/);
    expect(randomKey()).not.toBe(randomKey());
  });
});

describe("secret digests", () => {
  it("stores sha256 hex and matches only the same secret", () => {
    const { secret } = generateApiKey();
    const digest = digestSecret(secret);
    expect(digest).toBe("sha256:" + createHash("sha256").update(secret).digest("hex"));
    expect(secretMatches(digest, secret)).toBe(true);
    expect(secretMatches(digest, secret.slice(1))).toBe(false);
  });

  it("does not match unknown or corrupt digests", () => {
    expect(secretMatches("md5:abcd", "x")).toBe(false);
    expect(secretMatches("sha256:abcd", "x")).toBe(false);
    expect(secretMatches("", "")).toBe(false);
  });
});
