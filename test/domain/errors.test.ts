import { describe, it, expect } from "vitest";
import { Code, ServiceError, defineError, formatMessage, isServiceError } from "../../server/domain/errors.js";
import * as catalog from "../../server/domain/error-catalog.js";

describe("ServiceError", () => {
  const userNotFound = defineError("pkg/identityserver/store", "user_not_found", Code.NotFound, "user `{user_id}` not found");

  it("renders the upstream message shape with attributes filled in", () => {
    const err = userNotFound({ user_id: "alice" });
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("error:pkg/identityserver/store:user_not_found (user `alice` not found)");
    expect(err.namespace).toBe("pkg/identityserver/store");
    expect(err.name).toBe("user_not_found");
    expect(err.code).toBe(5);
    expect(err.messageFormat).toBe("user `{user_id}` not found");
    expect(err.attributes).toEqual({ user_id: "alice" });
    expect(err.fullName).toBe("pkg/identityserver/store:user_not_found");
  });

  it("matches with .is() by namespace and name only", () => {
    const other = defineError("pkg/identityserver", "user_not_found", Code.NotFound, "x");
    const err = userNotFound({ user_id: "bob" });
    expect(userNotFound.is(err)).toBe(true);
    expect(other.is(err)).toBe(false);
    expect(userNotFound.is(new Error("user_not_found"))).toBe(false);
    expect(isServiceError(err)).toBe(true);
    expect(isServiceError("nope")).toBe(false);
  });

  it("carries cause and violations, and exposes ErrorDetails-shaped data", () => {
    const cause = userNotFound({ user_id: "carol" });
    const validation = catalog.validation(
      { field: "name", reason: "too long", name: "string_len" },
      { cause, violations: [{ field: "name", reason: "max_len", message: "at most 50" }] },
    );
    expect(validation.message).toBe("error:pkg/errors:validation (invalid `name`: too long)");
    expect(validation.cause).toBe(cause);
    expect(validation.violations).toHaveLength(1);
    expect(validation.toDetails()).toEqual({
      namespace: "pkg/errors",
      name: "validation",
      messageFormat: "invalid `{field}`: {reason}",
      attributes: { field: "name", reason: "too long", name: "string_len" },
      code: 3,
      cause: cause.toDetails(),
    });
  });

  it("formats arrays as lists and leaves unknown placeholders visible", () => {
    expect(formatMessage("missing: {missing}", { missing: ["RIGHT_USER_INFO", "RIGHT_USER_DELETE"] })).toBe(
      "missing: RIGHT_USER_INFO, RIGHT_USER_DELETE",
    );
    expect(formatMessage("user `{user_id}`", {})).toBe("user `{user_id}`");
  });

  it("requires the attributes its message format names (compile-time)", () => {
    // @ts-expect-error user_id is named in the format, so it is required
    const missing = userNotFound({});
    expect(missing.message).toContain("{user_id}");
    const noAttrs = defineError("pkg/x", "plain", Code.Internal, "plain");
    expect(noAttrs().attributes).toEqual({});
  });

  it("numbers Code like gRPC", () => {
    expect(Code.Canceled).toBe(1);
    expect(Code.InvalidArgument).toBe(3);
    expect(Code.Internal).toBe(13);
    expect(Code.Unauthenticated).toBe(16);
    expect(Object.keys(Code)).toHaveLength(16);
  });
});

describe("error catalogue", () => {
  const definitions = Object.values(catalog);

  it("declares each namespace:name once", () => {
    const names = definitions.map((d) => `${d.namespace}:${d.errorName}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each([
    ["pkg/identityserver/blocklist", "forbidden_id", 3],
    ["pkg/validate", "email", 3],
    ["pkg/identityserver", "password_strength_min_length", 3],
    ["pkg/auth", "token", 3],
    ["pkg/identityserver/store", "api_key_not_found", 5],
    ["pkg/identityserver", "api_key_not_found", 16],
    ["pkg/util/store", "already_exists", 6],
    ["pkg/identityserver", "login_tokens_still_valid", 6],
    ["pkg/auth/rights", "insufficient_user_rights", 7],
    ["pkg/ratelimit", "rate_limit_exceeded", 8],
    ["pkg/identityserver/store", "last_admin", 9],
    ["pkg/identityserver/store", "login_token_already_used", 9],
    ["pkg/auth", "invalid_hash", 13],
    ["pkg/auth", "unknown_hashing_method", 13],
    ["pkg/identityserver", "old_password", 16],
    ["pkg/account/session", "no_user_id_password_match", 3],
    ["pkg/auth/cluster", "cluster_key", 7],
    ["pkg/identityserver", "no_receiver_user_ids", 2],
    ["pkg/identityserver", "internal", 13],
  ])("has %s:%s with code %i", (namespace, name, code) => {
    const found = definitions.find((d) => d.namespace === namespace && d.errorName === name);
    expect(found?.code).toBe(code);
  });
});
