import { describe, it, expect } from "vitest";
import { checkPassword, defaultPasswordRequirements, type PasswordRequirements } from "../../server/domain/password-policy.js";
import * as catalog from "../../server/domain/error-catalog.js";
import type { ServiceError } from "../../server/domain/errors.js";

// The policy table of upstream's pkg/identityserver/user_registry_test.go.
const strict: PasswordRequirements = {
  minLength: 8,
  maxLength: 1000,
  minUppercase: 1,
  minDigits: 1,
  minSpecial: 1,
  rejectUserId: true,
  rejectCommon: true,
};

function rejection(password: string, userId = "username", req = strict) {
  try {
    checkPassword(password, userId, req);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("checkPassword", () => {
  it.each([
    ["āA0$", catalog.passwordTooShort],
    ["āaabbb➉23", catalog.passwordUppercase],
    ["āaabbb➉AA", catalog.passwordDigits],
    ["āaabbb➉@#", catalog.passwordUppercase],
    ["āaa123➉@#", catalog.passwordUppercase],
    ["āaaAAA➉@#", catalog.passwordDigits],
    ["āaaAAA➉23", catalog.passwordSpecial],
    ["myusername", catalog.passwordUppercase],
    ["password1", catalog.passwordUppercase],
  ])("rejects %j with %s", (password, expected) => {
    const err = rejection(password);
    expect(expected.is(err)).toBe(true);
  });

  it.each(["āaaAAA123!@#", "       1A", "āaa\tAAA123 ", "āaaAAA123 "])("accepts %j", (password) => {
    expect(() => checkPassword(password, "username", strict)).not.toThrow();
  });

  it("reaches the user-ID and common-password rules when the character classes pass", () => {
    expect(catalog.passwordContainsUserId.is(rejection("My-UserName-1!"))).toBe(true);
    expect(rejection("Password1!", "alice")).toBeUndefined(); // "password1!" is not listed: exact match only
    const relaxed = { ...strict, minUppercase: 0, minSpecial: 0 };
    expect(catalog.commonPassword.is(rejection("PASSWORD1", "alice", relaxed))).toBe(true); // lowercased "password1"
  });

  it("counts length in UTF-8 bytes and reports the limit as attribute n", () => {
    // "āāāā" is 4 code points but 8 bytes.
    expect(() => checkPassword("āāāā", "x", { ...strict, minUppercase: 0, minDigits: 0, minSpecial: 0 })).not.toThrow();
    const tooLong = rejection("A1!" + "a".repeat(20), "x", { ...strict, maxLength: 10 });
    expect(catalog.passwordTooLong.is(tooLong)).toBe(true);
    expect((tooLong as ServiceError).attributes).toEqual({ n: 10 });
  });

  it("uses upstream production defaults", () => {
    expect(defaultPasswordRequirements).toEqual({
      minLength: 8,
      maxLength: 1000,
      minUppercase: 1,
      minDigits: 1,
      minSpecial: 0,
      rejectUserId: true,
      rejectCommon: false,
    });
    expect(() => checkPassword("Weak", "alice")).toThrow(/password_strength_min_length/);
    expect(() => checkPassword("Password1", "alice")).not.toThrow(); // common passwords allowed by default
  });
});
