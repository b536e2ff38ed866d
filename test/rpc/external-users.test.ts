// ExternalUserRegistry: admin-only links between users and provider accounts, looked up both ways,
// and what a link means for password calls and purges; real clients on every backend, rotating protocols.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";
import { createUserKey, registerUser, USER_PASSWORD } from "../support/users.js";

const NOT_FOUND = "pkg/identityserver/store:external_user_not_found";

for (const backend of databaseBackends()) {
  describe(`ExternalUserRegistry on ${backend.name}`, () => {
    let server: TestServer;
    let turn = 0;
    /** Each call goes over the next protocol, so every test exercises all three over time. */
    const protocol = (): Protocol => PROTOCOLS[turn++ % PROTOCOLS.length]!;
    const registry = (token?: string) => server.client(ExternalUserRegistry, protocol(), token);
    const admin = () => registry(server.adminKey);
    const users = (token?: string) => server.client(UserRegistry, protocol(), token);
    let seq = 0;
    const uniqueId = (prefix: string) => `${prefix}-${++seq}`;
    const idp = { providerId: "corp-idp" };
    const other = { providerId: "other-idp" };

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", AUTH_PROVIDER_SECRET_KEY: "5e".repeat(32) }); // client secrets are sealed
      const providers = server.client(AuthenticationProviderRegistry, "connect", server.adminKey);
      for (const ids of [idp, other]) {
        await providers.create({
          authenticationProvider: { ids, configuration: { provider: { case: "oidc", value: { clientId: "c", clientSecret: "s", providerUrl: "https://idp.example.com/" } } } },
        });
      }
    });
    afterAll(async () => { await server?.close(); });

    async function linkedUser(externalId = uniqueId("sub"), providerIds = idp) {
      const userId = uniqueId("ext-user");
      await registerUser(server, userId, protocol());
      const link = await admin().create({ externalUser: { userIds: { userId }, providerIds, externalId } });
      return { userId, externalId, link };
    }

    it("denies anonymous callers, bad credentials, non-admins and narrow admin keys", async () => {
      const { userId, externalId } = await linkedUser();
      const plainKey = await createUserKey(server, server.adminKey, userId, [Right.USER_ALL]);
      const readOnlyAdmin = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_INFO]);
      const unrelatedAdmin = await createUserKey(server, server.adminKey, "admin-user", [Right.APPLICATION_INFO]);
      for (const token of [undefined, "NNSXS.NOTAKEY.NOTASECRET", plainKey, unrelatedAdmin]) {
        for (const call of [
          () => registry(token).create({ externalUser: { userIds: { userId }, providerIds: other, externalId: "x" } }),
          () => registry(token).getByUserID({ providerIds: idp, userIds: { userId } }),
          () => registry(token).getByExternalID({ providerIds: idp, externalId }),
          () => registry(token).delete({ providerIds: idp, externalId }),
        ]) {
          const err = await rpcError(call());
          expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/identityserver:permission_denied"]);
        }
      }
      expect((await registry(readOnlyAdmin).getByExternalID({ providerIds: idp, externalId })).userIds?.userId).toBe(userId);
      const write = await rpcError(registry(readOnlyAdmin).delete({ providerIds: idp, externalId }));
      expect(write.code).toBe(Code.PermissionDenied);
      expect((await admin().getByUserID({ providerIds: idp, userIds: { userId } })).externalId).toBe(externalId); // still there
    });

    it("validates the request before checking the caller", async () => {
      const err = await rpcError(registry().getByExternalID({ providerIds: idp, externalId: "" }));
      expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/errors:validation"]);
      const noUser = await rpcError(registry().create({ externalUser: { providerIds: idp, externalId: "x" } }));
      expect(noUser.code).toBe(Code.InvalidArgument);
      const long = await rpcError(admin().create({ externalUser: { userIds: { userId: "admin-user" }, providerIds: idp, externalId: "x".repeat(251) } }));
      expect(long.code).toBe(Code.InvalidArgument);
    });

    it("creates a link with server-set timestamps and finds it both ways", async () => {
      const userId = uniqueId("ext-user");
      await registerUser(server, userId, protocol());
      const before = BigInt(Math.floor(Date.now() / 1000) - 5);
      const link = await admin().create({ externalUser: { userIds: { userId }, providerIds: idp, externalId: "oidc|abc", createdAt: { seconds: 1n } } });
      expect([link.userIds?.userId, link.providerIds?.providerId, link.externalId]).toEqual([userId, "corp-idp", "oidc|abc"]);
      expect(link.createdAt!.seconds).toBeGreaterThanOrEqual(before);
      expect(link.updatedAt).toBeDefined();

      expect(await admin().getByUserID({ providerIds: idp, userIds: { userId } })).toEqual(link);
      expect(await admin().getByExternalID({ providerIds: idp, externalId: "oidc|abc" })).toEqual(link);
      // The same external ID at another provider is someone else.
      const elsewhere = await rpcError(admin().getByExternalID({ providerIds: other, externalId: "oidc|abc" }));
      expect([elsewhere.code, elsewhere.errorName]).toEqual([Code.NotFound, NOT_FOUND]);
    });

    it("allows one link per provider and external ID, and one per provider and user", async () => {
      const { userId, externalId } = await linkedUser();
      const sameExternal = await rpcError(linkedUser(externalId));
      expect([sameExternal.code, sameExternal.errorName]).toEqual([Code.AlreadyExists, "pkg/util/store:already_exists"]);
      const sameUser = await rpcError(admin().create({ externalUser: { userIds: { userId }, providerIds: idp, externalId: uniqueId("sub") } }));
      expect([sameUser.code, sameUser.errorName]).toEqual([Code.AlreadyExists, "pkg/util/store:already_exists"]);
      // A second provider may link the same user, even under the same external ID.
      const second = await admin().create({ externalUser: { userIds: { userId }, providerIds: other, externalId } });
      expect(second.providerIds?.providerId).toBe("other-idp");
    });

    it("refuses unknown providers and unknown or deleted users", async () => {
      const noProvider = await rpcError(admin().create({ externalUser: { userIds: { userId: "admin-user" }, providerIds: { providerId: "no-such-idp" }, externalId: "x" } }));
      expect([noProvider.code, noProvider.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:authentication_provider_not_found"]);
      const noUser = await rpcError(admin().create({ externalUser: { userIds: { userId: "nobody-here" }, providerIds: idp, externalId: "x" } }));
      expect([noUser.code, noUser.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:user_not_found"]);
      const userId = uniqueId("gone");
      await registerUser(server, userId, protocol());
      await users(server.adminKey).delete({ userId });
      const deleted = await rpcError(admin().create({ externalUser: { userIds: { userId }, providerIds: idp, externalId: "x" } }));
      expect(deleted.errorName).toBe("pkg/identityserver/store:user_not_found");
    });

    it("answers external_user_not_found for unknown links, and deletes only the link", async () => {
      for (const call of [
        () => admin().getByUserID({ providerIds: idp, userIds: { userId: "admin-user" } }),
        () => admin().getByExternalID({ providerIds: idp, externalId: "unknown" }),
        () => admin().getByExternalID({ providerIds: { providerId: "no-such-idp" }, externalId: "unknown" }),
        () => admin().delete({ providerIds: idp, externalId: "unknown" }),
      ]) {
        const err = await rpcError(call());
        expect([err.code, err.errorName]).toEqual([Code.NotFound, NOT_FOUND]);
      }
      const { userId, externalId } = await linkedUser();
      await admin().delete({ providerIds: idp, externalId });
      expect((await rpcError(admin().getByUserID({ providerIds: idp, userIds: { userId } }))).errorName).toBe(NOT_FOUND);
      expect((await rpcError(admin().delete({ providerIds: idp, externalId }))).errorName).toBe(NOT_FOUND);
      expect((await users(server.adminKey).get({ userIds: { userId } })).ids?.userId).toBe(userId); // the user stays
    });

    it("refuses password calls for linked users, and allows them again once unlinked", async () => {
      const { userId, externalId } = await linkedUser();
      const change = () => users().updatePassword({ userIds: { userId }, old: USER_PASSWORD, new: "Brand-New-Passw0rd" });
      const update = await rpcError(change());
      expect([update.code, update.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver:external_user"]);
      // A wrong old password learns nothing about the link.
      const wrong = await rpcError(users().updatePassword({ userIds: { userId }, old: "Wrong-Passw0rd", new: "Brand-New-Passw0rd" }));
      expect(wrong.errorName).toBe("pkg/identityserver:old_password");
      const temporary = await rpcError(users().createTemporaryPassword({ userIds: { userId } }));
      expect([temporary.code, temporary.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver:external_user"]);
      expect(server.mail.filter((m) => m.to === `${userId}@example.com` && /temporary/i.test(m.subject))).toEqual([]);

      await admin().delete({ providerIds: idp, externalId });
      await change();
    });

    it("keeps links of a soft-deleted user and removes them when the user is purged", async () => {
      const { userId, externalId, link } = await linkedUser();
      await users(server.adminKey).delete({ userId });
      expect(await admin().getByExternalID({ providerIds: idp, externalId })).toEqual(link);
      await users(server.adminKey).purge({ userId });
      expect((await rpcError(admin().getByExternalID({ providerIds: idp, externalId }))).errorName).toBe(NOT_FOUND);
      // The external ID is free for a new account.
      await linkedUser(externalId);
    });
  });
}
