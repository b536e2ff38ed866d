// Password guessing (access issue item 5): failures are limited per user and per address with back-off, and
// the limit holds under parallel requests because attempts are reserved before the password is checked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PasswordAttempts } from "../../server/auth/rate-limit.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";
import { PASSWORD, createUser, errorName, login, uniqueId } from "./support.js";

for (const backend of databaseBackends()) {
  describe(`login rate limit on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, {
        LOGIN_RATE_LIMIT_PER_USER: "5", LOGIN_RATE_LIMIT_PER_ADDRESS: "1000", LOGIN_RATE_LIMIT_BACKOFF: "1500ms", LOGIN_RATE_LIMIT_MAX_BACKOFF: "1m",
      });
    });
    afterAll(async () => { await server?.close(); });

    it("evaluates at most the allowance of 20 parallel wrong guesses, then refuses even the right password until the back-off passes", async () => {
      const userId = await createUser(server);
      const results = await Promise.all(Array.from({ length: 20 }, () => login(server, userId, "Wrong-Passw0rd")));
      const evaluated = results.filter((r) => r.status === 400);
      const limited = results.filter((r) => r.status === 429);
      expect(evaluated).toHaveLength(5);
      expect(limited).toHaveLength(15);
      for (const r of evaluated) expect(errorName(r.body)).toBe("pkg/account/session:no_user_id_password_match");
      for (const r of limited) {
        expect(errorName(r.body)).toBe("pkg/ratelimit:rate_limit_exceeded");
        expect(r.body.code).toBe(8);
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }

      const blocked = await login(server, userId);
      expect(blocked.status).toBe(429);
      expect(blocked.cookie).toBeUndefined();

      await new Promise((r) => setTimeout(r, 1600));
      const ok = await login(server, userId);
      expect(ok.status).toBe(204);
      // Success clears the user's failures.
      expect((await login(server, userId, "Wrong-Passw0rd")).status).toBe(400);
      expect((await login(server, userId)).status).toBe(204);
    });

    it("limits unknown users the same way, so the limit does not reveal which IDs exist", async () => {
      const ghost = uniqueId("ghost");
      const results = await Promise.all(Array.from({ length: 8 }, () => login(server, ghost, "Wrong-Passw0rd")));
      expect(results.filter((r) => r.status === 400)).toHaveLength(5);
      expect(results.filter((r) => r.status === 429)).toHaveLength(3);
    });

    it("does not slow down other users", async () => {
      const victim = await createUser(server);
      await Promise.all(Array.from({ length: 6 }, () => login(server, victim, "Wrong-Passw0rd")));
      expect((await login(server, await createUser(server), PASSWORD)).status).toBe(204);
    });
  });

  describe(`per-address login limit on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { LOGIN_RATE_LIMIT_PER_USER: "100", LOGIN_RATE_LIMIT_PER_ADDRESS: "3", LOGIN_RATE_LIMIT_BACKOFF: "1m" });
    });
    afterAll(async () => { await server?.close(); });

    it("limits one address guessing across many user IDs", async () => {
      for (let i = 0; i < 3; i++) expect((await login(server, uniqueId("spray"), "Wrong-Passw0rd")).status).toBe(400);
      const res = await login(server, await createUser(server));
      expect(res.status).toBe(429);
      expect(res.body.details[0].attributes.key).toBe("password_attempts:address");
    });
  });
}

describe("PasswordAttempts", () => {
  it("backs off exponentially up to the cap and forgets failures after a quiet period", () => {
    let now = 0;
    const attempts = new PasswordAttempts({ perUser: 2, perAddress: 100, backoffMs: 1000, maxBackoffMs: 4000 }, () => now);
    const fail = () => attempts.reserve({ userId: "u" }).failed();
    fail();
    fail(); // allowance used: blocked 1 s
    expect(() => attempts.reserve({ userId: "u" })).toThrow(/rate_limit_exceeded/);
    now += 1000;
    fail(); // blocked 2 s
    now += 1999;
    expect(() => attempts.reserve({ userId: "u" })).toThrow();
    now += 1;
    fail(); // 4 s
    now += 4000;
    fail(); // capped at 4 s
    now += 3999;
    expect(() => attempts.reserve({ userId: "u" })).toThrow();
    now += 1;
    const probe = attempts.reserve({ userId: "u" });
    expect(() => attempts.reserve({ userId: "u" })).toThrow(); // one probe at a time past the allowance
    probe.release();
    now += 8000; // quiet for longer than the longest back-off
    attempts.reserve({ userId: "u" }).failed();
    expect(() => attempts.reserve({ userId: "u" }).release()).not.toThrow();
    expect(attempts.byUser.size).toBe(1);
  });

  it("wraps a check, counting only real failures", async () => {
    const attempts = new PasswordAttempts({ perUser: 1, perAddress: 100, backoffMs: 60_000, maxBackoffMs: 60_000 });
    await expect(attempts.check({ userId: "x" }, async () => { throw new Error("db down"); })).rejects.toThrow("db down");
    expect(await attempts.check({ userId: "x" }, async () => true)).toBe(true);
    expect(await attempts.check({ userId: "x" }, async () => false)).toBe(false);
    await expect(attempts.check({ userId: "x" }, async () => true)).rejects.toThrow(/rate_limit_exceeded/);
  });
});
