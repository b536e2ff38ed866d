// Session and login-limit settings: safe defaults, and a bad value stops start-up naming the variable.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";

describe("session configuration", () => {
  it("defaults to 24h idle, 30 days absolute, automatic Secure, 5 failures per user and 20 per address", () => {
    const config = loadConfig({});
    expect(config.sessions).toEqual({ idleTimeoutMs: 24 * 3600_000, maxAgeMs: 30 * 24 * 3600_000, cookieSecure: "auto" });
    expect(config.loginRateLimit).toEqual({ perUser: 5, perAddress: 20, backoffMs: 30_000, maxBackoffMs: 15 * 60_000 });
    expect(config.trustProxy).toBe(false);
  });

  it.each([
    ["SESSION_IDLE_TIMEOUT", "soon"],
    ["SESSION_MAX_AGE", "0"],
    ["COOKIE_SECURE", "maybe"],
    ["LOGIN_RATE_LIMIT_PER_USER", "0"],
    ["LOGIN_RATE_LIMIT_PER_ADDRESS", "-1"],
    ["LOGIN_RATE_LIMIT_BACKOFF", "fast"],
    ["LOGIN_RATE_LIMIT_MAX_BACKOFF", "1x"],
    ["TRUST_PROXY", "sometimes"],
  ])("rejects %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("rejects an idle timeout longer than the absolute lifetime", () => {
    expect(() => loadConfig({ SESSION_IDLE_TIMEOUT: "48h", SESSION_MAX_AGE: "24h" })).toThrow("SESSION_IDLE_TIMEOUT");
    expect(loadConfig({ COOKIE_SECURE: "true" }).sessions.cookieSecure).toBe(true);
  });
});
