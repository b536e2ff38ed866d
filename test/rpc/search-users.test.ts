// EntityRegistrySearch.SearchUsers, through real clients over a real socket,
// on every database backend.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContactMethod } from "../../gen/ttn/lorawan/v3/contact_info_pb.js";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { EntityRegistrySearch, type SearchUsersRequestSchema } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";
import { USER_PASSWORD, createUserKey } from "../support/users.js";

type Search = MessageInitShape<typeof SearchUsersRequestSchema>;

interface Fixture { userId: string; name: string; description: string; state: State; attributes?: Record<string, string> }
const FIXTURES: Fixture[] = [
  { userId: "alpha-one", name: "Alice Alpha", description: "some test description", state: State.APPROVED, attributes: { team: "red-team", region: "eu-west" } },
  { userId: "alpha-two", name: "Bob Alpha", description: "some test description", state: State.REQUESTED, attributes: { team: "blue", region: "us-east" } },
  { userId: "beta-one", name: "Carol Beta", description: "some test description", state: State.APPROVED, attributes: { team: "red", region: "us-east" } },
  { userId: "beta-two", name: "Dave 100% Beta", description: "testing the descriptions", state: State.FLAGGED },
  { userId: "gamma-one", name: "Erin_Gamma", description: "unrelated words", state: State.SUSPENDED },
  { userId: "gamma-two", name: "Frank Gamma", description: "some test description", state: State.APPROVED }, // deleted below
];
const LIVE = FIXTURES.filter((f) => f.userId !== "gamma-two").map((f) => f.userId);

for (const backend of databaseBackends()) {
  describe(`EntityRegistrySearch.SearchUsers on ${backend.name}`, () => {
    let server: TestServer;
    let userKey: string;
    let narrowAdminKey: string;
    const search = (token?: string, protocol: Protocol = "connect") => server.client(EntityRegistrySearch, protocol, token);
    /** The IDs found by an admin search, in response order, with the x-total-count header. */
    async function found(req: Search, protocol: Protocol = "connect"): Promise<{ ids: string[]; total: number }> {
      let total = -1;
      const { users } = await search(server.adminKey, protocol).searchUsers(req, { onHeader: (h) => { total = Number(h.get("x-total-count")); } });
      return { ids: users.map((u) => u.ids!.userId), total };
    }
    const ids = async (req: Search) => (await found(req)).ids;

    beforeAll(async () => {
      // A small default page shows that a larger requested limit is honoured (upstream capped it at the default).
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", PAGINATION_DEFAULT_LIMIT: "3" });
      const admin = server.client(UserRegistry, "connect", server.adminKey);
      for (const f of FIXTURES) {
        await admin.create({
          user: {
            ids: { userId: f.userId }, primaryEmailAddress: `${f.userId}@example.com`, password: USER_PASSWORD,
            name: f.name, description: f.description, state: f.state, attributes: f.attributes ?? {},
          },
        });
      }
      await admin.delete({ userId: "gamma-two" });
      userKey = await createUserKey(server, server.adminKey, "alpha-one", [Right.USER_ALL]);
      narrowAdminKey = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_SETTINGS_BASIC]);
    });
    afterAll(async () => { await server?.close(); });

    describe("who may search", () => {
      const callers: [string, () => string | undefined][] = [
        ["an anonymous caller", () => undefined],
        ["a non-admin with a RIGHT_USER_ALL key", () => userKey],
        ["an admin whose key lacks RIGHT_USER_INFO", () => narrowAdminKey],
      ];
      for (const [who, key] of callers) {
        it(`refuses ${who}, with and without deleted`, async () => {
          for (const deleted of [false, true]) {
            const err = await rpcError(search(key()).searchUsers({ deleted }));
            expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/identityserver:search_forbidden"]);
          }
        });
      }

      it("fails authentication for a bad credential", async () => {
        const err = await rpcError(search("NNSXS.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBB").searchUsers({}));
        expect(err.code).toBe(Code.Unauthenticated);
      });

      it("rejects a secret in the field mask before anything else", async () => {
        const err = await rpcError(search().searchUsers({ fieldMask: { paths: ["password"] } }));
        expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/rpcmiddleware/validator:field_mask_paths"]);
      });
    });

    it("finds live users only, or only deleted ones with deleted", async () => {
      const live = await found({ limit: 100 }, "grpc");
      expect(live.ids.sort()).toEqual(["admin-user", ...LIVE].sort());
      expect(live.total).toBe(LIVE.length + 1);
      const deleted = await found({ deleted: true }, "grpc-web");
      expect(deleted).toEqual({ ids: ["gamma-two"], total: 1 });
    });

    it("answers contact_info with the primary e-mail address", async () => {
      const { users } = await search(server.adminKey).searchUsers({ idContains: "alpha", fieldMask: { paths: ["contact_info"] } });
      expect(users).toHaveLength(2);
      for (const user of users) {
        expect(user.contactInfo).toHaveLength(1);
        expect(user.contactInfo[0]!.contactMethod).toBe(ContactMethod.EMAIL);
        expect(user.contactInfo[0]!.value).toBe(`${user.ids!.userId}@example.com`);
      }
    });

    it("matches description_contains as full text, not as a substring", async () => {
      expect((await ids({ descriptionContains: "test description", limit: 10 })).sort()).toEqual(["alpha-one", "alpha-two", "beta-one", "beta-two"]);
      expect(await ids({ descriptionContains: "test description", deleted: true })).toEqual(["gamma-two"]);
      expect(await ids({ descriptionContains: "unrelated" })).toEqual(["gamma-one"]);
    });

    it("filters by case-insensitive substrings of ID and name", async () => {
      expect(await ids({ idContains: "ALPHA" })).toEqual(["alpha-one", "alpha-two"]);
      expect(await ids({ idContains: "a-t" })).toEqual(["alpha-two", "beta-two"]);
      expect(await ids({ nameContains: "beta" })).toEqual(["beta-one", "beta-two"]);
      expect(await ids({ nameContains: "gAmMa" })).toEqual(["gamma-one"]);
    });

    it("takes % and _ literally", async () => {
      expect(await ids({ nameContains: "%" })).toEqual(["beta-two"]);
      expect(await ids({ nameContains: "_" })).toEqual(["gamma-one"]);
      expect(await ids({ idContains: "_" })).toEqual([]);
    });

    it("matches query against ID, name or description", async () => {
      expect(await ids({ query: "gamma" })).toEqual(["gamma-one"]);
      expect(await ids({ query: "carol" })).toEqual(["beta-one"]);
      expect(await ids({ query: "unrelated" })).toEqual(["gamma-one"]);
      expect(await ids({ query: "words unrelated" })).toEqual(["gamma-one"]);
    });

    it("matches query against the primary e-mail address too (the console's admin search)", async () => {
      expect(await ids({ query: "one@EXAMPLE" })).toEqual(["alpha-one", "beta-one", "gamma-one"]);
      expect(await ids({ query: "a-two@example.com" })).toEqual(["alpha-two", "beta-two"]);
      expect(await ids({ query: "nobody@example.com" })).toEqual([]);
    });

    it("requires every attributes_contain pair, each on its own attribute", async () => {
      expect(await ids({ attributesContain: { team: "red" } })).toEqual(["alpha-one", "beta-one"]);
      expect(await ids({ attributesContain: { team: "RED", region: "us" } })).toEqual(["beta-one"]);
      expect(await ids({ attributesContain: { team: "blue", region: "eu" } })).toEqual([]);
      expect(await ids({ attributesContain: { nickname: "a" } })).toEqual([]);
    });

    it("filters by any of the given states", async () => {
      expect(await ids({ state: [State.APPROVED] })).toEqual(["admin-user", "alpha-one", "beta-one"]);
      expect(await ids({ state: [State.FLAGGED, State.SUSPENDED] })).toEqual(["beta-two", "gamma-one"]);
    });

    it("AND-s every given filter", async () => {
      expect(await ids({ descriptionContains: "test description", state: [State.APPROVED], nameContains: "a" })).toEqual(["alpha-one", "beta-one"]);
      expect(await ids({ query: "alpha", attributesContain: { region: "us" } })).toEqual(["alpha-two"]);
      expect(await ids({ idContains: "beta", nameContains: "alice" })).toEqual([]);
    });

    it("orders by the requested field with user_id as tie-breaker", async () => {
      const all = { idContains: "-", limit: 100 };
      expect((await ids({ ...all, order: "name" })).filter((id) => id !== "admin-user"))
        .toEqual(["alpha-one", "alpha-two", "beta-one", "beta-two", "gamma-one"]);
      expect(await ids({ ...all, order: "-user_id" })).toEqual(["gamma-one", "beta-two", "beta-one", "alpha-two", "alpha-one", "admin-user"]);
      expect(await ids({ idContains: "alpha", order: "-created_at" })).toEqual(["alpha-two", "alpha-one"]);
      expect(await ids({ state: [State.APPROVED], order: "-name" })).toEqual(["beta-one", "alpha-one", "admin-user"]);
    });

    it("pages results, reports x-total-count, and honours a limit above the default", async () => {
      expect(await found({ idContains: "-" })).toEqual({ ids: ["admin-user", "alpha-one", "alpha-two"], total: 6 });
      expect(await found({ idContains: "-", limit: 2, page: 2 })).toEqual({ ids: ["alpha-two", "beta-one"], total: 6 });
      expect(await found({ idContains: "-", limit: 4, page: 2 })).toEqual({ ids: ["beta-two", "gamma-one"], total: 6 });
      expect(await found({ idContains: "-", limit: 4, page: 3 })).toEqual({ ids: [], total: 6 });
      expect(await found({ state: [State.APPROVED], limit: 2, page: 5 })).toEqual({ ids: [], total: 3 });
      expect((await found({ limit: 5 })).ids).toHaveLength(5);
    });

    it("returns the masked fields plus the fields of the filters used", async () => {
      const { users: [plain] } = await search(server.adminKey).searchUsers({ idContains: "alpha-one" });
      expect(plain!.ids!.userId).toBe("alpha-one");
      expect(plain!.createdAt).toBeDefined();
      expect([plain!.name, plain!.description, plain!.state, plain!.attributes]).toEqual(["", "", State.REQUESTED, {}]);

      const { users: [filtered] } = await search(server.adminKey).searchUsers({
        idContains: "alpha-one", nameContains: "alice", descriptionContains: "test", state: [State.APPROVED], attributesContain: { team: "red" },
      });
      expect(filtered!.name).toBe("Alice Alpha");
      expect(filtered!.description).toBe("some test description");
      expect(filtered!.state).toBe(State.APPROVED);
      expect(filtered!.attributes).toEqual({ team: "red-team", region: "eu-west" });
      expect(filtered!.primaryEmailAddress).toBe("");

      const { users: [masked] } = await search(server.adminKey).searchUsers({ query: "alice", fieldMask: { paths: ["primary_email_address", "admin"] } });
      expect([masked!.primaryEmailAddress, masked!.name]).toEqual(["alpha-one@example.com", ""]);
    });

    it("shows deleted_at on deleted users", async () => {
      const { users: [deleted] } = await search(server.adminKey).searchUsers({ deleted: true });
      expect(deleted!.deletedAt).toBeDefined();
    });
  });
}
