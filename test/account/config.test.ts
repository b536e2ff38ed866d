// Session and login-limit settings: safe defaults, and a bad value stops start-up naming the variable.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";

describe("session configuration", () => {
  it("defaults to 24h idle, 30 days absolute, automatic Secure, 5 failures per user and address, 100 per user, 20 per address", () => {
    const config = loadConfig({});
    expect(config.sessions).toEqual({ idleTimeoutMs: 24 * 3600_000, maxAgeMs: 30 * 24 * 3600_000, cookieSecure: "auto" });
    expect(config.loginRateLimit).toEqual({ perUserAddress: 5, perUser: 100, perAddress: 20, windowMs: 15 * 60_000 });
    expect(config.trustProxy).toBe(false);
  });

  it.each([
    ["SESSION_IDLE_TIMEOUT", "soon"],
    ["SESSION_MAX_AGE", "0"],
    ["COOKIE_SECURE", "maybe"],
    ["LOGIN_RATE_LIMIT_PER_USER", "0"],
    ["LOGIN_RATE_LIMIT_PER_ADDRESS", "-1"],
    ["LOGIN_RATE_LIMIT_PER_USER_ADDRESS", "0"],
    ["LOGIN_RATE_LIMIT_WINDOW", "500ms"],
    ["TRUST_PROXY", "sometimes"],
  ])("rejects %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("rejects an idle timeout longer than the absolute lifetime", () => {
    expect(() => loadConfig({ SESSION_IDLE_TIMEOUT: "48h", SESSION_MAX_AGE: "24h" })).toThrow("SESSION_IDLE_TIMEOUT");
    expect(loadConfig({ COOKIE_SECURE: "true" }).sessions.cookieSecure).toBe(true);
  });
});

// Start-up errors reach consoles and log collectors: a bad value of a variable that can hold a credential is
// named, never shown (a URL at most with its user info masked).
describe("configuration errors keep secrets out", () => {
  it.each([
    ["DATABASE_URL", "postgress://ttn:S3cr3t-Pw@db.example.com:5432/ttn", "postgress://***:***@db.example.com:5432/ttn"],
    ["DATABASE_URL", "postgresql:ttn:S3cr3t-Pw@db.example.com/ttn", undefined], // missing //: no user info parsed
    ["DATABASE_URL", "postgresql://ttn:S3cr3t-Pw@db example.com/ttn", undefined], // does not parse
    ["DATABASE_URL", "mysql://ttn:S3cr3t/Pw@db.example.com/ttn", undefined], // the password's "/" ends the host
    ["SMTP_URL", "smtpx://mailer:S3cr3t-Pw@smtp.example.com:587", "smtpx://***:***@smtp.example.com:587"],
    ["SMTP_URL", "smtp//mailer:S3cr3t-Pw@smtp.example.com:587", undefined],
    ["SMTP_URL", "smtps://mailer:S3cr3t?Pw@smtp.example.com:465?x", undefined], // "?" puts the rest in the query
  ])("names %s=%s without its password", (name, value, shown) => {
    let message = "";
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(name);
    expect(message).not.toContain("S3cr3t");
    expect(message).not.toContain("Pw@");
    if (shown) expect(message).toContain(`(got "${shown}")`);
    else expect(message).not.toContain("got");
  });

  it("names CLUSTER_KEYS without showing any key", () => {
    const good = "00112233445566778899aabbccddeeff";
    const bad = "00112233445566778899aabbccddeefg";
    expect(() => loadConfig({ CLUSTER_KEYS: `${good},${bad}` })).toThrow("CLUSTER_KEYS");
    expect(() => loadConfig({ CLUSTER_KEYS: `${good},${bad}` })).toThrow("key 2");
    try {
      loadConfig({ CLUSTER_KEYS: `${good},${bad}` });
    } catch (err) {
      expect((err as Error).message).not.toContain(good);
      expect((err as Error).message).not.toContain(bad);
      expect((err as Error).message).not.toContain("0011");
    }
    expect(loadConfig({ CLUSTER_KEYS: good }).clusterKeys).toEqual([Buffer.from(good, "hex")]);
  });

  it("still shows values that are not secret", () => {
    expect(() => loadConfig({ MAIL_POLL_INTERVAL: "soon" })).toThrow('(got "soon")');
  });
});

describe("mail delivery configuration", () => {
  it("defaults to 10 attempts, 30 s doubling to 1 h, polling every 5 s", () => {
    expect(loadConfig({}).mailRetry).toEqual({ attempts: 10, backoffMs: 30_000, maxBackoffMs: 3600_000, pollIntervalMs: 5_000 });
  });

  // setTimeout fires a longer delay after 1 ms: a 30-day poll interval would be a busy loop.
  it.each(["MAIL_POLL_INTERVAL", "MAIL_RETRY_BACKOFF", "MAIL_RETRY_MAX_BACKOFF"])("refuses %s beyond the longest timer delay", (name) => {
    const env = { [name]: "30d" };
    expect(() => loadConfig(env)).toThrow(name);
    expect(() => loadConfig(env)).toThrow("24.8 days");
    expect(loadConfig({ MAIL_RETRY_MAX_BACKOFF: "24d", [name]: "24d" }).mailRetry).toMatchObject({ [{
      MAIL_POLL_INTERVAL: "pollIntervalMs", MAIL_RETRY_BACKOFF: "backoffMs", MAIL_RETRY_MAX_BACKOFF: "maxBackoffMs",
    }[name]!]: 24 * 86_400_000 });
  });

  it("refuses a first back-off longer than the maximum", () => {
    expect(() => loadConfig({ MAIL_RETRY_BACKOFF: "2h", MAIL_RETRY_MAX_BACKOFF: "1h" })).toThrow("MAIL_RETRY_BACKOFF must not exceed MAIL_RETRY_MAX_BACKOFF");
    expect(() => loadConfig({ MAIL_RETRY_BACKOFF: "2h" })).toThrow("MAIL_RETRY_BACKOFF");
    expect(loadConfig({ MAIL_RETRY_BACKOFF: "1h", MAIL_RETRY_MAX_BACKOFF: "1h" }).mailRetry.backoffMs).toBe(3600_000);
  });
});

describe("password hashing priority", () => {
  it("defaults to idle, accepts low, and names the variable and the choices for anything else", () => {
    expect(loadConfig({}).passwordHashPriority).toBe("idle");
    expect(loadConfig({ PASSWORD_HASH_PRIORITY: "low" }).passwordHashPriority).toBe("low");
    expect(() => loadConfig({ PASSWORD_HASH_PRIORITY: "high" })).toThrow('PASSWORD_HASH_PRIORITY: expected one of idle, low (got "high")');
  });
});
