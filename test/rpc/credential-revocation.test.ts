// Cached credentials never outlive a revocation: every change that narrows what a credential may do takes effect
// on the instance that made it for the very next call, and on another instance sharing the PostgreSQL database
// within a second. Each scenario first uses the credential on both instances, so both have it cached. Cached user
// rows follow the same rule: a Get after an update shows the update.
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { EntityAccess, type AuthInfoResponse } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { startServer } from "../../server/app.js";
import { createLogger } from "../../server/logger.js";
import { PASSWORD, apiKeyFor, createUser, loggedIn, request } from "../account/support.js";
import { databaseBackends, startTestServer, type TestServer } from "../support/server.js";

/** What AuthInfo says about a credential, or the error code it is refused with. */
type Seen = { info: AuthInfoResponse } | { code: Code };

interface Instance {
  client<S extends DescService>(service: S, token: string): ReturnType<typeof createClient<S>>;
}

const instanceAt = (baseUrl: () => string): Instance => ({
  client: (service, token) =>
    createClient(service, createConnectTransport({
      baseUrl: baseUrl(), httpVersion: "1.1",
      interceptors: [(next) => (req) => { req.header.set("authorization", `Bearer ${token}`); return next(req); }],
    })),
});

async function authInfo(instance: Instance, token: string): Promise<Seen> {
  try {
    return { info: await instance.client(EntityAccess, token).authInfo({}) };
  } catch (err) {
    return { code: (err as { code: Code }).code };
  }
}

const keyRights = (seen: Seen) => ("info" in seen && seen.info.accessMethod.case === "apiKey" ? seen.info.accessMethod.value.apiKey!.rights : []);
const refused = (seen: Seen) => "code" in seen;

/** The bearer form of a session cookie, so every instance can be asked with the same header. */
const sessionToken = (cookie: string) => {
  const [id, secret] = cookie.slice("_session=".length).split(".");
  return `ONZW4.${id}.${secret}`;
};

interface Scenario {
  name: string;
  /** Creates the credential; returns its bearer token and how to revoke it (through the first instance). */
  arrange(server: TestServer): Promise<{ token: string; revoke(): Promise<void>; observe?: (instance: Instance) => Promise<Seen> }>;
  /** True once AuthInfo (or `observe`) shows the revocation. */
  revoked(seen: Seen): boolean;
}

/** A user as Get shows it, carried in the `info` slot of what is seen. */
async function userSeen(instance: Instance, token: string, userId: string): Promise<Seen> {
  const user = await instance.client(UserRegistry, token).get({ userIds: { userId }, fieldMask: { paths: ["name", "attributes"] } });
  return { info: { name: user.name, attributes: user.attributes } as unknown as AuthInfoResponse };
}

const admin = (server: TestServer) => instanceAt(() => server.baseUrl).client(UserRegistry, server.adminKey);

const scenarios: Scenario[] = [
  {
    name: "a deleted API key",
    async arrange(server) {
      const userId = await createUser(server);
      const token = await apiKeyFor(server, userId, [Right.USER_ALL]);
      const keyId = token.split(".")[1]!;
      return { token, revoke: async () => { await instanceAt(() => server.baseUrl).client(UserAccess, token).deleteAPIKey({ userIds: { userId }, keyId }); } };
    },
    revoked: refused,
  },
  {
    name: "an API key whose rights were reduced",
    async arrange(server) {
      const userId = await createUser(server);
      const token = await apiKeyFor(server, userId, [Right.USER_ALL]);
      const id = token.split(".")[1]!;
      return {
        token,
        revoke: async () => {
          await instanceAt(() => server.baseUrl).client(UserAccess, token).updateAPIKey({
            userIds: { userId }, apiKey: { id, rights: [Right.USER_INFO] }, fieldMask: { paths: ["rights"] },
          });
        },
      };
    },
    revoked: (seen) => !refused(seen) && !keyRights(seen).includes(Right.USER_DELETE),
  },
  {
    name: "a deleted user's key",
    async arrange(server) {
      const userId = await createUser(server);
      const token = await apiKeyFor(server, userId);
      return { token, revoke: async () => { await admin(server).delete({ userId }); } };
    },
    revoked: refused,
  },
  {
    name: "a purged user's key",
    async arrange(server) {
      const userId = await createUser(server);
      const token = await apiKeyFor(server, userId);
      return { token, revoke: async () => { await admin(server).purge({ userId }); } };
    },
    revoked: refused,
  },
  {
    name: "a suspended user's key",
    async arrange(server) {
      const userId = await createUser(server);
      const token = await apiKeyFor(server, userId, [Right.USER_ALL]);
      return {
        token,
        revoke: async () => { await admin(server).update({ user: { ids: { userId }, state: State.SUSPENDED }, fieldMask: { paths: ["state"] } }); },
      };
    },
    revoked: (seen) => !refused(seen) && !keyRights(seen).includes(Right.USER_DELETE),
  },
  {
    name: "a demoted admin's key",
    async arrange(server) {
      const userId = await createUser(server);
      await admin(server).update({ user: { ids: { userId }, admin: true }, fieldMask: { paths: ["admin"] } });
      const token = await apiKeyFor(server, userId);
      return {
        token,
        revoke: async () => { await admin(server).update({ user: { ids: { userId }, admin: false }, fieldMask: { paths: ["admin"] } }); },
      };
    },
    revoked: (seen) => "info" in seen && !seen.info.isAdmin,
  },
  {
    name: "a session ended by logout",
    async arrange(server) {
      const userId = await createUser(server);
      const cookie = await loggedIn(server, userId);
      return {
        token: sessionToken(cookie),
        revoke: async () => { expect((await request(server, "POST", "/oauth/api/auth/logout", { headers: { cookie } })).status).toBe(204); },
      };
    },
    revoked: refused,
  },
  {
    name: "a session ended by a password change",
    async arrange(server) {
      const userId = await createUser(server);
      const cookie = await loggedIn(server, userId);
      const key = await apiKeyFor(server, userId);
      return {
        token: sessionToken(cookie),
        revoke: async () => {
          await instanceAt(() => server.baseUrl).client(UserRegistry, key).updatePassword({ userIds: { userId }, old: PASSWORD, new: "Changed-Passw0rd-2" });
        },
      };
    },
    revoked: refused,
  },
  {
    name: "a user's cached row after an update of its name and attributes",
    async arrange(server) {
      const userId = await createUser(server);
      const token = await apiKeyFor(server, userId);
      return {
        token,
        observe: (instance) => userSeen(instance, token, userId),
        revoke: async () => {
          await admin(server).update({ user: { ids: { userId }, name: "Renamed", attributes: { team: "b" } }, fieldMask: { paths: ["name", "attributes"] } });
        },
      };
    },
    revoked: (seen) => "info" in seen && (seen.info as unknown as { name: string }).name === "Renamed",
  },
  {
    name: "the cached number of users after one more registers",
    async arrange(server) {
      const total = async (instance: Instance) => {
        let header = "";
        await instance.client(UserRegistry, server.adminKey).list({ limit: 1 }, { onHeader: (h) => { header = h.get("x-total-count") ?? ""; } });
        return header;
      };
      const before = await total(instanceAt(() => server.baseUrl));
      return {
        token: server.adminKey,
        observe: async (instance) => ({ info: { changed: (await total(instance)) !== before } as unknown as AuthInfoResponse }),
        revoke: async () => { await createUser(server); },
      };
    },
    revoked: (seen) => "info" in seen && (seen.info as unknown as { changed: boolean }).changed,
  },
];

for (const backend of databaseBackends()) {
  describe(`credential revocation on ${backend.name}`, () => {
    let server: TestServer;
    let here: Instance;
    beforeAll(async () => {
      server = await startTestServer(backend);
      here = instanceAt(() => server.baseUrl);
    });
    afterAll(async () => { await server?.close(); });

    for (const scenario of scenarios) {
      it(`refuses ${scenario.name} on the same instance at once`, async () => {
        const { token, revoke, observe = (instance: Instance) => authInfo(instance, token) } = await scenario.arrange(server);
        for (let i = 0; i < 2; i++) expect(scenario.revoked(await observe(here))).toBe(false); // cached now
        await revoke();
        expect(scenario.revoked(await observe(here))).toBe(true);
      });
    }
  });
}

const postgres = databaseBackends().find((b) => b.name === "postgres");
// Declared only with PostgreSQL: an embedded-only run has nothing to skip.
if (postgres) describe("credential revocation across instances sharing PostgreSQL", () => {
  let server: TestServer;
  let other: Awaited<ReturnType<typeof startServer>>;
  let there: Instance;
  beforeAll(async () => {
    server = await startTestServer(postgres!);
    other = await startServer(server.config, createLogger("silent")); // a second instance on the same database
    there = instanceAt(() => `http://127.0.0.1:${other.listener.port}`);
  });
  afterAll(async () => {
    await other?.close();
    await server?.close();
  });

  for (const scenario of scenarios) {
    it(`refuses ${scenario.name} on the other instance within a second`, async () => {
      const { token, revoke, observe = (instance: Instance) => authInfo(instance, token) } = await scenario.arrange(server);
      for (let i = 0; i < 2; i++) expect(scenario.revoked(await observe(there))).toBe(false); // cached there
      await revoke();
      const deadline = performance.now() + 1_000;
      let seen = await observe(there);
      while (!scenario.revoked(seen) && performance.now() < deadline) seen = await observe(there);
      expect(scenario.revoked(seen)).toBe(true);
    });
  }
});
