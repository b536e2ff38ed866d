// EntityAccess.AuthInfo through real clients of every protocol.
import { toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { AuthInfoResponseSchema, EntityAccess, type AuthInfoResponse } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { Right, RightSchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";
import { adminCreatesUser, createUserKey, keyId, registerUser } from "../support/users.js";

const rightName = (r: Right) => RightSchema.values.find((v) => v.number === r)!.name;
const byNumber = (rights: Right[]) => [...rights].sort((a, b) => a - b);
const ALL_USER_RIGHTS = RightSchema.values.filter((v) => v.name.startsWith("RIGHT_USER_")).map((v) => v.number as Right);

/** AuthInfo with the `warning` response header. */
async function authInfo(server: TestServer, protocol: Protocol, token?: string): Promise<{ info: AuthInfoResponse; warning: string | null }> {
  let warning: string | null = null;
  const info = await server.client(EntityAccess, protocol, token).authInfo({}, { onHeader: (h) => { warning = h.get("warning"); } });
  return { info, warning };
}

const keyAccess = (info: AuthInfoResponse) => {
  if (info.accessMethod.case !== "apiKey") throw new Error(`expected API key access, got ${info.accessMethod.case}`);
  return info.accessMethod.value;
};

for (const backend of databaseBackends()) {
  describe(`AuthInfo on ${backend.name} (default config)`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => { server = await startTestServer(backend, {}, { clock }); });
    afterAll(async () => { await server?.close(); });

    for (const protocol of PROTOCOLS) {
      it(`answers anonymous callers with an entirely empty response over ${protocol}`, async () => {
        const { info, warning } = await authInfo(server, protocol);
        expect(toBinary(AuthInfoResponseSchema, info)).toHaveLength(0);
        expect(warning).toBeNull();
      });
    }

    it("describes the admin's RIGHT_ALL key: admin, universal rights without _KEYS/_ALL, the key without its secret", async () => {
      const { info, warning } = await authInfo(server, "grpc", server.adminKey);
      expect(info.isAdmin).toBe(true);
      const universal = info.universalRights?.rights ?? [];
      expect(universal.length).toBeGreaterThan(0);
      expect(universal.map(rightName).filter((n) => n.endsWith("_KEYS") || n.endsWith("_ALL"))).toEqual([]);
      expect(universal).toContain(Right.USER_INFO);
      expect(universal).not.toContain(Right.USER_SETTINGS_API_KEYS);

      const access = keyAccess(info);
      expect(access.entityIds?.ids).toEqual(expect.objectContaining({ case: "userIds", value: expect.objectContaining({ userId: "admin-user" }) }));
      expect(access.apiKey?.id).toBe(keyId(server.adminKey));
      expect(access.apiKey?.key).toBe("");
      expect(access.apiKey?.rights).toContain(Right.ALL);
      expect(access.apiKey?.rights).toContain(Right.USER_SETTINGS_API_KEYS); // implied from RIGHT_ALL
      expect(warning).toBeNull();
    });

    it("gives a narrow admin key only its own right universally", async () => {
      const narrow = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_INFO], { protocol: "grpc-web" });
      const { info } = await authInfo(server, "connect", narrow);
      expect(info.isAdmin).toBe(true);
      expect(info.universalRights?.rights).toEqual([Right.USER_INFO]);
      expect(keyAccess(info).apiKey?.rights).toEqual([Right.USER_INFO]);
    });

    it("rejects an expired key", async () => {
      const expiresAt = new Date(Date.now() + 3600_000);
      const token = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_INFO], { expiresAt });
      clock.passes(expiresAt);
      const err = await rpcError(server.client(EntityAccess, "grpc-web", token).authInfo({}));
      expect([err.code, err.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:api_key_expired"]);
    });

    it("surfaces credential errors", async () => {
      const malformed = await rpcError(server.client(EntityAccess, "grpc", "not-a-token").authInfo({}));
      expect([malformed.code, malformed.errorName]).toEqual([Code.InvalidArgument, "pkg/auth:token"]);
      const scheme = await rpcError(server.client(EntityAccess, "connect", "Token abc").authInfo({}));
      expect([scheme.code, scheme.errorName]).toEqual([Code.Unauthenticated, "pkg/identityserver:unsupported_authorization"]);
    });
  });

  describe(`AuthInfo and user states on ${backend.name} (ADMIN_RIGHTS_ALL)`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true" }); });
    afterAll(async () => { await server?.close(); });

    const setState = (userId: string, state: State, stateDescription = "") =>
      server.client(UserRegistry, "connect", server.adminKey).update({
        user: { ids: { userId }, state, stateDescription }, fieldMask: { paths: ["state", "state_description"] },
      });

    it("narrows a user's key by account state and says so in a warning", async () => {
      await registerUser(server, "sam");
      const key = await createUserKey(server, server.adminKey, "sam", [Right.USER_ALL]);
      const cases: [State, string, Right[], string | null, Protocol][] = [
        [State.REQUESTED, "", [Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_DELETE], "Restricted rights while account pending", "grpc"],
        [State.REJECTED, "spam", [Right.USER_INFO, Right.USER_DELETE], "Restricted rights after account rejection: spam", "grpc-web"],
        [State.SUSPENDED, "abuse", [Right.USER_INFO], "Restricted rights after account suspension: abuse", "connect"],
        [State.FLAGGED, "watch", ALL_USER_RIGHTS, null, "grpc"],
        [State.APPROVED, "", ALL_USER_RIGHTS, null, "grpc-web"],
      ];
      for (const [state, description, rights, expectedWarning, protocol] of cases) {
        await setState("sam", state, description);
        const { info, warning } = await authInfo(server, protocol, key);
        expect.soft(byNumber(keyAccess(info).apiKey?.rights ?? []), State[state]).toEqual(byNumber(rights));
        expect.soft(warning, State[state]).toBe(expectedWarning);
        expect.soft(info.isAdmin).toBe(false);
        expect.soft(info.universalRights?.rights ?? []).toEqual([]);
        // The narrowed rights are what every other call sees.
        const listed = await server.client(UserAccess, protocol, key).listRights({ userId: "sam" });
        expect.soft(byNumber(listed.rights), State[state]).toEqual(byNumber(rights));
      }
    });

    it("percent-encodes a state description that a header cannot carry as is", async () => {
      await registerUser(server, "zoe");
      const key = await createUserKey(server, server.adminKey, "zoe", [Right.USER_ALL]);
      await setState("zoe", State.SUSPENDED, "Compte suspendu — fraude\r\nrevue 2");
      for (const protocol of PROTOCOLS) {
        const { info, warning } = await authInfo(server, protocol, key);
        expect(byNumber(keyAccess(info).apiKey?.rights ?? [])).toEqual(byNumber([Right.USER_INFO]));
        expect(warning).toBe("Restricted rights after account suspension: Compte suspendu %E2%80%94 fraude revue 2");
      }
    });

    it("refuses a suspended user's key what the suspension took away", async () => {
      await registerUser(server, "sue", "grpc-web");
      const key = await createUserKey(server, server.adminKey, "sue", [Right.USER_ALL]);
      await setState("sue", State.SUSPENDED, "");
      const err = await rpcError(server.client(UserAccess, "grpc", key).createAPIKey({ userIds: { userId: "sue" }, rights: [Right.USER_INFO] }));
      expect(err.code).toBe(Code.PermissionDenied);
    });

    it("does not treat a FLAGGED admin as admin", async () => {
      await adminCreatesUser(server, "second-admin", { admin: true, state: State.APPROVED }, "grpc");
      const key = await createUserKey(server, server.adminKey, "second-admin", [Right.USER_ALL]);
      const approved = await authInfo(server, "connect", key);
      expect(approved.info.isAdmin).toBe(true);
      expect(byNumber(approved.info.universalRights?.rights ?? [])).toEqual(byNumber(ALL_USER_RIGHTS));

      await setState("second-admin", State.FLAGGED, "check");
      const flagged = await authInfo(server, "grpc-web", key);
      expect(flagged.info.isAdmin).toBe(false);
      expect(flagged.info.universalRights?.rights ?? []).toEqual([]);
      expect(byNumber(keyAccess(flagged.info).apiKey?.rights ?? [])).toEqual(byNumber(ALL_USER_RIGHTS));
      expect(flagged.warning).toBeNull();
    });

    it("gives the admin every right universally when ADMIN_RIGHTS_ALL is set", async () => {
      const { info } = await authInfo(server, "grpc", server.adminKey);
      expect(info.isAdmin).toBe(true);
      expect(info.universalRights?.rights).toContain(Right.ALL);
      expect(info.universalRights?.rights).toContain(Right.USER_SETTINGS_API_KEYS);
    });
  });
}
