// Password guessing: failures are counted per user and address (the lockout), per user (a much higher ceiling)
// and per address, in the store every instance shares; the limits hold under parallel requests because a point
// is taken before the password is checked, and a guesser from one address cannot lock the owner out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";
import { PASSWORD, clientWithHeaders, createUser, errorName, login, uniqueId } from "./support.js";

const from = (address: string) => ({ "x-forwarded-for": address });

for (const backend of databaseBackends()) {
  describe(`login limits on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, {
        TRUST_PROXY: "true", // the tests choose their client address
        LOGIN_RATE_LIMIT_PER_USER_ADDRESS: "5", LOGIN_RATE_LIMIT_PER_USER: "12", LOGIN_RATE_LIMIT_PER_ADDRESS: "1000",
        LOGIN_RATE_LIMIT_WINDOW: "1m",
      });
    });
    afterAll(async () => { await server?.close(); });

    it("evaluates at most 5 of 20 parallel wrong guesses from one address, with retry-after; the owner still logs in from elsewhere", async () => {
      const userId = await createUser(server);
      const results = await Promise.all(Array.from({ length: 20 }, () => login(server, userId, "Wrong-Passw0rd", from("198.51.100.1"))));
      const evaluated = results.filter((r) => r.status === 400);
      const limited = results.filter((r) => r.status === 429);
      expect(evaluated).toHaveLength(5);
      expect(limited).toHaveLength(15);
      for (const r of evaluated) expect(errorName(r.body)).toBe("pkg/account/session:no_user_id_password_match");
      for (const r of limited) {
        expect(errorName(r.body)).toBe("pkg/ratelimit:rate_limit_exceeded");
        expect(r.body.code).toBe(8);
        expect(r.body.details[0].attributes).toMatchObject({ key: "password_attempts:user_address", rate: 5 });
        const retryAfter = Number(r.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(r.body.details[0].attributes.retry_after).toBe(retryAfter);
      }
      // The guesser's address stays locked out even with the right password …
      expect((await login(server, userId, PASSWORD, from("198.51.100.1"))).status).toBe(429);
      // … and the owner, from another address, is not.
      const owner = await login(server, userId, PASSWORD, from("203.0.113.7"));
      expect(owner.status).toBe(204);
      expect(owner.cookie).toBeDefined();
    });

    it("stops guessing from many addresses at the per-user ceiling", async () => {
      const userId = await createUser(server);
      // 4 addresses × 3 failures = the ceiling of 12; each address is still under its own lockout of 5.
      for (let a = 1; a <= 4; a++) {
        for (let i = 0; i < 3; i++) expect((await login(server, userId, "Wrong-Passw0rd", from(`192.0.2.${a}`))).status).toBe(400);
      }
      const refused = await login(server, userId, PASSWORD, from("192.0.2.99"));
      expect(refused.status).toBe(429);
      expect(refused.body.details[0].attributes.key).toBe("password_attempts:user");
    });

    it("limits unknown users the same way, so the limit does not reveal which IDs exist", async () => {
      const ghost = uniqueId("ghost");
      const results = await Promise.all(Array.from({ length: 8 }, () => login(server, ghost, "Wrong-Passw0rd", from("198.51.100.2"))));
      expect(results.filter((r) => r.status === 400)).toHaveLength(5);
      expect(results.filter((r) => r.status === 429)).toHaveLength(3);
    });

    it("a correct password clears that address's failures", async () => {
      const userId = await createUser(server);
      for (let i = 0; i < 4; i++) expect((await login(server, userId, "Wrong-Passw0rd", from("198.51.100.3"))).status).toBe(400);
      expect((await login(server, userId, PASSWORD, from("198.51.100.3"))).status).toBe(204);
      for (let i = 0; i < 4; i++) expect((await login(server, userId, "Wrong-Passw0rd", from("198.51.100.3"))).status).toBe(400);
    });
  });

  describe(`per-address password limit on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { TRUST_PROXY: "true", LOGIN_RATE_LIMIT_PER_USER: "100", LOGIN_RATE_LIMIT_PER_ADDRESS: "3" });
    });
    afterAll(async () => { await server?.close(); });

    it("limits one address guessing across many user IDs, logins and UpdatePassword alike", async () => {
      const address = from("198.51.100.50");
      expect((await login(server, uniqueId("spray"), "Wrong-Passw0rd", address)).status).toBe(400);
      const registry = clientWithHeaders(server, UserRegistry, address);
      for (let i = 0; i < 2; i++) {
        const err = await rpcError(registry.updatePassword({ userIds: { userId: await createUser(server) }, old: "Wrong-Passw0rd", new: "New-Passw0rd-1" }));
        expect(err.errorName).toBe("pkg/identityserver:old_password");
      }
      const refused = await rpcError(registry.updatePassword({ userIds: { userId: await createUser(server) }, old: PASSWORD, new: "New-Passw0rd-1" }));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.errorName).toBe("pkg/ratelimit:rate_limit_exceeded");
      expect(Number(refused.metadata.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const res = await login(server, await createUser(server), PASSWORD, address);
      expect(res.status).toBe(429);
      expect(res.body.details[0].attributes.key).toBe("password_attempts:address");
      // Other addresses are unaffected.
      expect((await login(server, await createUser(server), PASSWORD, from("198.51.100.51"))).status).toBe(204);
    });
  });
}
