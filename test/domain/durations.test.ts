import { describe, it, expect } from "vitest";
import { parseDuration } from "../../server/domain/durations.js";

describe("parseDuration", () => {
  it.each([
    ["24h", 86_400_000],
    ["90m", 5_400_000],
    ["1h30m", 5_400_000],
    ["10s", 10_000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["7d", 604_800_000],
    ["168h", 604_800_000],
    ["0", 0],
    ["0s", 0],
    [" 2h ", 7_200_000],
  ])("parses %j", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "h", "10", "10x", "1h 30m", "-1h", "1h30", "abc", "1.h", "1e3s"])("rejects %j with a clear message", (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});
