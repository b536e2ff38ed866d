import { describe, it, expect } from "vitest";
import { USER_ID_PATTERN, isReservedUserId, isValidEmail, isValidUserId } from "../../server/domain/identifiers.js";

describe("user IDs", () => {
  it.each(["ab", "alice", "a-b-c", "user1", "a".repeat(36)])("accepts %j", (id) => {
    expect(isValidUserId(id)).toBe(true);
  });

  it.each(["", "a", "-ab", "ab-", "a--b", "Alice", "a_b", "a.b", "a".repeat(37)])("rejects %j", (id) => {
    expect(isValidUserId(id)).toBe(false);
  });

  it("exposes the ID2 pattern itself", () => {
    expect(USER_ID_PATTERN.source).toBe("^[a-z0-9](?:[-]?[a-z0-9]){1,}$");
  });

  it("reserves exactly the listed IDs", () => {
    expect(isReservedUserId("admin")).toBe(true);
    expect(isReservedUserId("about")).toBe(true);
    expect(isReservedUserId("account")).toBe(true);
    expect(isReservedUserId("Admin")).toBe(false); // exact match only; uppercase fails the ID rule anyway
    expect(isReservedUserId("alice-smith")).toBe(false);
  });
});

describe("isValidEmail", () => {
  it.each(["john@example.com", "root@localhost", "a.b+tag@sub.example.co", "x!#$%&'*+/=?^_`{|}~-@a-b.c"])(
    "accepts %j",
    (email) => {
      expect(isValidEmail(email)).toBe(true);
    },
  );

  it.each([
    "",
    "plain",
    "@example.com",
    "john@",
    "john@-example.com",
    "john@example-.com",
    "john@example..com",
    "john@example.com.",
    "john doe@example.com",
    "John <john@example.com>",
    `john@${"a".repeat(64)}.com`,
    "jöhn@example.com",
  ])("rejects %j", (email) => {
    expect(isValidEmail(email)).toBe(false);
  });

  it("allows 63-char labels", () => {
    expect(isValidEmail(`john@${"a".repeat(63)}.com`)).toBe(true);
  });
});
