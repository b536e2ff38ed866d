// UserAccess through real clients of every protocol.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EntityAccess } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { Right, RightSchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";
import { createUserKey, keyId, registerUser } from "../support/users.js";

const ALL_USER_RIGHTS = RightSchema.values.filter((v) => v.name.startsWith("RIGHT_USER_")).map((v) => v.number as Right);
const byNumber = (rights: Right[]) => [...rights].sort((a, b) => a - b);
const TOKEN = /^NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/;
const LIMITED = [Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS];
const WEAK = [Right.USER_INFO, Right.USER_APPLICATIONS_LIST];

for (const backend of databaseBackends()) {
  describe(`UserAccess on ${backend.name} (ADMIN_RIGHTS_ALL)`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    /** alice's own RIGHT_USER_ALL key, minted by the admin (allowed with ADMIN_RIGHTS_ALL). */
    let alice: string;
    const access = (protocol: Protocol, token?: string) => server.client(UserAccess, protocol, token);

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true" }, { clock });
      await registerUser(server, "alice");
      await registerUser(server, "bob");
      alice = await createUserKey(server, server.adminKey, "alice", [Right.USER_ALL], { name: "alice-all" });
    });
    afterAll(async () => { await server?.close(); });

    describe("ListRights", () => {
      it("lists exactly a key's rights on its own user", async () => {
        const key = await createUserKey(server, alice, "alice", [Right.USER_SETTINGS_BASIC, Right.USER_INFO]);
        const { rights } = await access("connect", key).listRights({ userId: "alice" });
        expect(byNumber(rights)).toEqual([Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
      });

      it("expands RIGHT_USER_ALL to every user right", async () => {
        const { rights } = await access("grpc-web", alice).listRights({ userId: "alice" });
        expect(byNumber(rights)).toEqual(byNumber(ALL_USER_RIGHTS));
      });

      it("never lists RIGHT_ALL or RIGHT_SEND_INVITES, not even for the admin's RIGHT_ALL key", async () => {
        for (const userId of ["admin-user", "alice"]) {
          const { rights } = await access("grpc", server.adminKey).listRights({ userId });
          expect(rights).toContain(Right.USER_ALL);
          expect(rights).not.toContain(Right.ALL);
          expect(rights).not.toContain(Right.SEND_INVITES);
        }
      });

      it("gives a key with nothing a user can hold no rights on its own user", async () => {
        const invitesOnly = await createUserKey(server, server.adminKey, "admin-user", [Right.SEND_INVITES]);
        expect((await access("connect", invitesOnly).listRights({ userId: "admin-user" })).rights).toEqual([]);
        const err = await rpcError(access("connect", invitesOnly).getAPIKey({ userIds: { userId: "admin-user" }, keyId: keyId(invitesOnly) }));
        expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/auth/rights:no_user_rights"]);
      });

      it("gives anonymous and unrelated callers an empty list", async () => {
        expect((await access("connect").listRights({ userId: "alice" })).rights).toEqual([]);
        const bob = await createUserKey(server, server.adminKey, "bob", [Right.USER_ALL]);
        expect((await access("grpc-web", bob).listRights({ userId: "alice" })).rights).toEqual([]);
      });

      it("tells an admin that the user does not exist", async () => {
        const err = await rpcError(access("grpc", server.adminKey).listRights({ userId: "nobody-here" }));
        expect(err.code).toBe(Code.NotFound);
        expect(err.errorName).toBe("pkg/identityserver/store:user_not_found");
      });
    });

    describe("CreateAPIKey", () => {
      it("shows the secret once, as a 98-character token that works at once", async () => {
        const created = await access("connect", alice).createAPIKey({ userIds: { userId: "alice" }, name: "fresh", rights: [Right.USER_INFO] });
        expect(created.key).toHaveLength(98);
        expect(created.key).toMatch(TOKEN);
        expect(created.id).toBe(keyId(created.key));
        expect(created.name).toBe("fresh");
        expect(created.rights).toEqual([Right.USER_INFO]);
        expect(created.createdAt).toBeDefined();

        const info = await server.client(EntityAccess, "grpc", created.key).authInfo({});
        expect(info.accessMethod.case).toBe("apiKey");
        expect(info.accessMethod.case === "apiKey" && info.accessMethod.value.apiKey?.id).toBe(created.id);

        const listed = await access("grpc-web", alice).getAPIKey({ userIds: { userId: "alice" }, keyId: created.id });
        expect(listed.key).toBe("");
      });

      it("refuses rights the creating key lacks", async () => {
        const limited = await createUserKey(server, alice, "alice", LIMITED);
        const err = await rpcError(access("grpc-web", limited).createAPIKey({ userIds: { userId: "alice" }, rights: [Right.USER_ALL] }));
        expect(err.code).toBe(Code.PermissionDenied);
        expect(err.errorName).toBe("pkg/auth/rights:insufficient_user_rights");
      });

      it("rejects an expiry in the past", async () => {
        const err = await rpcError(access("grpc", alice).createAPIKey({
          userIds: { userId: "alice" }, rights: [Right.USER_INFO], expiresAt: timestampFromDate(new Date(Date.now() - 60_000)),
        }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/errors:validation");
      });
    });

    describe("UpdateAPIKey rights delta", () => {
      it("checks only the rights added and removed", async () => {
        const limited = await createUserKey(server, alice, "alice", LIMITED);
        const target = keyId(await createUserKey(server, alice, "alice", [Right.USER_INFO, Right.USER_APPLICATIONS_LIST]));
        const update = (rights: Right[]) => access("grpc", limited).updateAPIKey({
          userIds: { userId: "alice" }, apiKey: { id: target, rights }, fieldMask: { paths: ["rights"] },
        });

        const add = await rpcError(update([Right.USER_INFO, Right.USER_APPLICATIONS_LIST, Right.USER_DELETE]));
        expect([add.code, add.errorName]).toEqual([Code.PermissionDenied, "pkg/auth/rights:insufficient_user_rights"]);
        const remove = await rpcError(update([Right.USER_INFO]));
        expect([remove.code, remove.errorName]).toEqual([Code.PermissionDenied, "pkg/auth/rights:insufficient_user_rights"]);

        const changed = await update([Right.USER_SETTINGS_BASIC, Right.USER_APPLICATIONS_LIST]);
        expect(byNumber(changed.rights)).toEqual([Right.USER_SETTINGS_BASIC, Right.USER_APPLICATIONS_LIST]);
        expect(changed.key).toBe("");
      });

      it("lets a weaker key mint nothing stronger than itself", async () => {
        const limited = await createUserKey(server, alice, "alice", LIMITED);
        const own = await access("connect", limited).createAPIKey({ userIds: { userId: "alice" }, rights: [Right.USER_SETTINGS_BASIC] });
        expect(own.rights).toEqual([Right.USER_SETTINGS_BASIC]);
      });
    });

    describe("ListAPIKeys", () => {
      it("pages in the asked order with x-total-count and no secrets", async () => {
        await registerUser(server, "carol", "grpc-web");
        const carol = await createUserKey(server, server.adminKey, "carol", [Right.USER_ALL], { name: "zz-owner" });
        for (const name of ["k-c", "k-a", "k-b"]) await createUserKey(server, carol, "carol", [Right.USER_INFO], { name });

        const page = async (protocol: Protocol, order: string, limit: number, pageNo: number) => {
          let total: string | null = null;
          const { apiKeys } = await access(protocol, carol).listAPIKeys(
            { userIds: { userId: "carol" }, order, limit, page: pageNo },
            { onHeader: (h) => { total = h.get("x-total-count"); } },
          );
          expect(apiKeys.every((k) => k.key === "")).toBe(true);
          return { names: apiKeys.map((k) => k.name), total };
        };
        expect(await page("connect", "name", 2, 1)).toEqual({ names: ["k-a", "k-b"], total: "4" });
        expect(await page("grpc-web", "name", 2, 2)).toEqual({ names: ["k-c", "zz-owner"], total: "4" });
        expect(await page("grpc", "name", 2, 3)).toEqual({ names: [], total: "4" });
        expect(await page("grpc", "-name", 3, 1)).toEqual({ names: ["zz-owner", "k-c", "k-b"], total: "4" });
        expect((await page("connect", "", 0, 0)).names).toHaveLength(4);
      });
    });

    describe("GetAPIKey and UpdateAPIKey", () => {
      it("reads and updates name, rights and expiry without ever returning the secret", async () => {
        const id = keyId(await createUserKey(server, alice, "alice", [Right.USER_INFO], { name: "before" }));
        const ids = { userId: "alice" };
        const got = await access("grpc-web", alice).getAPIKey({ userIds: ids, keyId: id });
        expect([got.name, got.rights, got.key]).toEqual(["before", [Right.USER_INFO], ""]);

        const renamed = await access("grpc", alice).updateAPIKey({ userIds: ids, apiKey: { id, name: "after", rights: [] }, fieldMask: { paths: ["name"] } });
        expect([renamed.name, renamed.rights, renamed.key]).toEqual(["after", [Right.USER_INFO], ""]);

        const widened = await access("connect", alice).updateAPIKey({
          userIds: ids, apiKey: { id, name: "ignored", rights: [Right.USER_INFO, Right.USER_DELETE] }, fieldMask: { paths: ["rights"] },
        });
        expect([widened.name, byNumber(widened.rights), widened.key]).toEqual(["after", [Right.USER_INFO, Right.USER_DELETE], ""]);

        const expiry = new Date(Date.now() + 3600_000);
        const expiring = await access("grpc-web", alice).updateAPIKey({
          userIds: ids, apiKey: { id, expiresAt: timestampFromDate(expiry) }, fieldMask: { paths: ["expires_at"] },
        });
        expect(Number(expiring.expiresAt?.seconds)).toBe(Math.floor(expiry.getTime() / 1000));
        expect(expiring.key).toBe("");
        const again = await access("grpc", alice).getAPIKey({ userIds: ids, keyId: id });
        expect([again.name, byNumber(again.rights), Number(again.expiresAt?.seconds)]).toEqual(["after", [Right.USER_INFO, Right.USER_DELETE], Math.floor(expiry.getTime() / 1000)]);
      });

      it("answers not found for an unknown key id", async () => {
        const ids = { userId: "alice" };
        for (const call of [
          () => access("connect", alice).getAPIKey({ userIds: ids, keyId: "does-not-exist" }),
          () => access("grpc", alice).updateAPIKey({ userIds: ids, apiKey: { id: "does-not-exist", name: "x" }, fieldMask: { paths: ["name"] } }),
          () => access("grpc-web", alice).deleteAPIKey({ userIds: ids, keyId: "does-not-exist" }),
        ]) {
          const err = await rpcError(call());
          expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:api_key_not_found"]);
        }
      });

      it("does not reach another user's key by id", async () => {
        const bobKey = keyId(await createUserKey(server, server.adminKey, "bob", [Right.USER_INFO]));
        const err = await rpcError(access("grpc", alice).getAPIKey({ userIds: { userId: "alice" }, keyId: bobKey }));
        expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:api_key_not_found"]);
      });

      it("deletes a key updated to no rights with rights in the mask, or with no mask", async () => {
        const ids = { userId: "alice" };
        for (const [protocol, paths] of [["grpc-web", ["rights"]], ["connect", []]] as const) {
          const token = await createUserKey(server, alice, "alice", [Right.USER_INFO]);
          const emptied = await access(protocol, alice).updateAPIKey({ userIds: ids, apiKey: { id: keyId(token), rights: [] }, fieldMask: { paths: [...paths] } });
          expect(emptied.id).toBe("");
          const err = await rpcError(access("grpc", alice).getAPIKey({ userIds: ids, keyId: keyId(token) }));
          expect(err.errorName).toBe("pkg/identityserver/store:api_key_not_found");
          const gone = await rpcError(server.client(EntityAccess, protocol, token).authInfo({}));
          expect([gone.code, gone.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:api_key_not_found"]);
        }
      });

      it("rejects a mask path outside the API key paths", async () => {
        const id = keyId(await createUserKey(server, alice, "alice", [Right.USER_INFO]));
        const err = await rpcError(access("grpc", alice).updateAPIKey({
          userIds: { userId: "alice" }, apiKey: { id, name: "x" }, fieldMask: { paths: ["name", "secret"] },
        }));
        expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/rpcmiddleware/validator:field_mask_paths"]);
      });
    });

    describe("DeleteAPIKey", () => {
      it("stops the key working at once", async () => {
        const token = await createUserKey(server, alice, "alice", [Right.USER_INFO]);
        expect((await server.client(EntityAccess, "grpc", token).authInfo({})).isAdmin).toBe(false);
        await access("connect", alice).deleteAPIKey({ userIds: { userId: "alice" }, keyId: keyId(token) });
        const err = await rpcError(server.client(EntityAccess, "grpc-web", token).authInfo({}));
        expect([err.code, err.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:api_key_not_found"]);
      });
    });

    describe("denials", () => {
      it("refuses every key operation to anonymous callers and to a key without USER_SETTINGS_API_KEYS", async () => {
        const weak = await createUserKey(server, alice, "alice", WEAK);
        const victim = keyId(await createUserKey(server, alice, "alice", [Right.USER_INFO]));
        const ids = { userId: "alice" };
        const protocols: Protocol[] = ["connect", "grpc-web", "grpc"];
        for (const [i, token] of [undefined, weak].entries()) {
          const c = access(protocols[i]!, token);
          for (const call of [
            () => c.createAPIKey({ userIds: ids, rights: [Right.USER_INFO] }),
            () => c.listAPIKeys({ userIds: ids }),
            () => c.getAPIKey({ userIds: ids, keyId: victim }),
            () => c.updateAPIKey({ userIds: ids, apiKey: { id: victim, name: "x" }, fieldMask: { paths: ["name"] } }),
            () => c.deleteAPIKey({ userIds: ids, keyId: victim }),
          ]) {
            expect((await rpcError(call())).code).toBe(Code.PermissionDenied);
          }
        }
        expect((await access("grpc", alice).getAPIKey({ userIds: ids, keyId: victim })).id).toBe(victim);
      });

      it("gives another user's RIGHT_USER_ALL key no rights on the user", async () => {
        const bob = await createUserKey(server, server.adminKey, "bob", [Right.USER_ALL]);
        const err = await rpcError(access("grpc-web", bob).listAPIKeys({ userIds: { userId: "alice" } }));
        expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/auth/rights:no_user_rights"]);
      });
    });

    describe("bearer credentials", () => {
      it("rejects a key once it has expired", async () => {
        // Chosen by the real clock: the request validator refuses expiries in the past.
        const expiresAt = new Date(Date.now() + 3600_000);
        const token = await createUserKey(server, alice, "alice", [Right.USER_INFO], { expiresAt });
        expect((await access("grpc", token).listRights({ userId: "alice" })).rights).toEqual([Right.USER_INFO]);
        clock.passes(expiresAt);
        const err = await rpcError(access("connect", token).listRights({ userId: "alice" }));
        expect([err.code, err.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:api_key_expired"]);
      });

      it("rejects a tampered secret", async () => {
        const token = await createUserKey(server, alice, "alice", [Right.USER_INFO]);
        const tampered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
        const err = await rpcError(access("grpc-web", tampered).listRights({ userId: "alice" }));
        expect([err.code, err.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:invalid_authorization"]);
      });

      it("rejects a malformed bearer token with 3 and another scheme with 16", async () => {
        for (const bad of ["FOO", "FOO.FOO", "FOO.FOO.FOO", "FOO.FOO.FOO.FOO"]) {
          const err = await rpcError(access("grpc", bad).listRights({ userId: "alice" }));
          expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/auth:token"]);
        }
        const err = await rpcError(access("connect", "Basic YWxpY2U6c2VjcmV0").listRights({ userId: "alice" }));
        expect([err.code, err.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:unsupported_authorization"]);
      });
    });

    it("CreateLoginToken is refused while login tokens are disabled", async () => {
      const err = await rpcError(access("grpc-web").createLoginToken({ userIds: { userId: "alice" } }));
      expect([err.code, err.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver:login_tokens_disabled"]);
    });
  });

  describe(`UserAccess.CreateLoginToken on ${backend.name} (login tokens enabled)`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { LOGIN_TOKENS_ENABLED: "true" });
      await registerUser(server, "dave");
    });
    afterAll(async () => { await server?.close(); });
    const mailTo = (to: string) => server.mail.filter((m) => m.to.includes(to) && !m.subject.includes("confirm your e-mail")); // not the sign-up's confirmation

    it("e-mails the token to the user and returns it only to an admin, never for an admin target", async () => {
      const anonymous = await server.client(UserAccess, "connect").createLoginToken({ userIds: { userId: "dave" } });
      expect(anonymous.token).toBe("");
      await vi.waitFor(() => expect(mailTo("dave@example.com")).toHaveLength(1));
      expect(mailTo("dave@example.com")[0]!.text).toMatch(/[A-Z2-7]{52}/);

      const byAdmin = await server.client(UserAccess, "grpc", server.adminKey).createLoginToken({ userIds: { userId: "dave" } });
      expect(byAdmin.token).toMatch(/^[A-Z2-7]{52}$/);
      await vi.waitFor(() => expect(mailTo("dave@example.com")).toHaveLength(2));
      expect(mailTo("dave@example.com")[1]!.text).toContain(byAdmin.token);

      const forAdmin = await server.client(UserAccess, "grpc-web", server.adminKey).createLoginToken({ userIds: { userId: "admin-user" } });
      expect(forAdmin.token).toBe("");
    });

    it("refuses a sixth active token", async () => {
      await registerUser(server, "erin", "grpc");
      const c = server.client(UserAccess, "grpc-web");
      for (let i = 0; i < 5; i++) await c.createLoginToken({ userIds: { userId: "erin" } });
      const err = await rpcError(c.createLoginToken({ userIds: { userId: "erin" } }));
      expect([err.code, err.errorName]).toEqual([Code.AlreadyExists, "pkg/identityserver:login_tokens_still_valid"]);
    });

    it("holds the cap of five active tokens under parallel requests", async () => {
      await registerUser(server, "fred", "connect");
      const c = server.client(UserAccess, "connect");
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.createLoginToken({ userIds: { userId: "fred" } })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
        expect(r.reason.rawMessage).toContain("login_tokens_still_valid");
      }
    });

    it("does not let a narrow admin key skip the e-mail or receive the token", async () => {
      await registerUser(server, "gina", "connect");
      const narrow = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_INFO]);
      const res = await server.client(UserAccess, "connect", narrow).createLoginToken({ userIds: { userId: "gina" }, skipEmail: true });
      expect(res.token).toBe("");
      await vi.waitFor(() => expect(mailTo("gina@example.com")).toHaveLength(1));
    });

    it("answers not found for an unknown user", async () => {
      const err = await rpcError(server.client(UserAccess, "connect", server.adminKey).createLoginToken({ userIds: { userId: "nobody-here" } }));
      expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:entity_not_found"]);
    });

    it("does not let an admin mint keys for another user without ADMIN_RIGHTS_ALL", async () => {
      const err = await rpcError(server.client(UserAccess, "grpc", server.adminKey).createAPIKey({ userIds: { userId: "dave" }, rights: [Right.USER_INFO] }));
      expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/auth/rights:insufficient_user_rights"]);
    });
  });
}
