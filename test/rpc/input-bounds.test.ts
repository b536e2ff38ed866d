// Inputs are bounded before any work and before authentication, and a client's mistake is its own error
// (INVALID_ARGUMENT with the field named, or RESOURCE_EXHAUSTED for a body over the limit), never INTERNAL.
// One protocol here (Connect, JSON and binary); the protocol matrix is test/system/hostile/.
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetUserRequestSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { EntityRegistrySearch } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";

for (const backend of databaseBackends()) {
  describe(`input bounds on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { MAX_REQUEST_BYTES: "64KiB" }); });
    afterAll(async () => { await server?.close(); });

    /** A Connect call with a raw body; the answer's status and parsed JSON. */
    async function post(method: string, body: BodyInit, contentType = "application/json", headers: Record<string, string> = {}) {
      const res = await fetch(`${server.baseUrl}/ttn.lorawan.v3.${method}`, {
        method: "POST", headers: { "content-type": contentType, authorization: `Bearer ${server.adminKey}`, ...headers }, body,
      });
      const text = await res.text();
      const json = res.headers.get("content-type")?.startsWith("application/json");
      return { status: res.status, text, body: json && text ? (JSON.parse(text) as Record<string, any>) : {} };
    }
    // Connect error details carry their JSON form in `debug`.
    const violations = (body: Record<string, any>): string[] =>
      (body.details ?? []).flatMap((d: any) => d.debug?.violations ?? [])
        .map((v: any) => v.field?.elements?.map((e: any) => e.fieldName ?? e.field_name).join("."));
    const errorName = (body: Record<string, any>) => {
      const d = (body.details ?? []).find((x: any) => x.debug?.namespace)?.debug;
      return d ? `${d.namespace}:${d.name}` : "";
    };

    it("refuses NUL characters in any string field, naming the field, before authentication", async () => {
      const cases: [string, unknown, string][] = [
        ["UserRegistry/Create", { user: { ids: { user_id: "nul-user" }, primary_email_address: "nul@example.com", password: "Nul-Passw0rd", name: "a\u0000b" } }, "user.name"],
        ["UserRegistry/Update", { user: { ids: { user_id: "admin-user" }, description: "x\u0000" }, field_mask: { paths: ["description"] } }, "user.description"],
        ["EntityRegistrySearch/SearchUsers", { query: "\u0000" }, "query"],
        ["UserRegistry/Create", { user: { ids: { user_id: "nul-user2" }, primary_email_address: "n2@example.com", password: "Nul-Passw0rd", attributes: { "key-one": "v\u0000" } } }, 'user.attributes["key-one"]'],
      ];
      for (const [method, body, field] of cases) {
        const res = await post(method, JSON.stringify(body), "application/json", { authorization: "" });
        expect(res.status, method).toBe(400);
        expect(res.body.code).toBe("invalid_argument");
        expect(violations(res.body)).toContain(field);
      }
    });

    it("refuses invalid UTF-8, raw or as unpaired escapes, instead of storing U+FFFD", async () => {
      const raw = Buffer.concat([Buffer.from('{"user":{"ids":{"user_id":"utf-user"},"primary_email_address":"u@example.com","password":"Utf-Passw0rd","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
      const res = await post("UserRegistry/Create", raw);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("invalid_argument");
      // An escaped unpaired surrogate is no character at all: refused by the JSON reader, which names the field.
      const escaped = await post("UserRegistry/Create", '{"user":{"ids":{"user_id":"utf-user"},"primary_email_address":"u@example.com","password":"Utf-Passw0rd","name":"\\ud800x"}}');
      expect(escaped.status).toBe(400);
      expect(escaped.body.code).toBe("invalid_argument");
      expect(escaped.body.message).toContain("User.name");
      const err = await rpcError(server.client(UserRegistry, "connect", server.adminKey).get({ userIds: { userId: "utf-user" } }));
      expect(err.code).toBe(Code.NotFound);
    });

    it("holds e-mail addresses to upstream's 254 characters, 64 before the @", async () => {
      const registry = server.client(UserRegistry, "connect");
      for (const email of [`${"a".repeat(65)}@example.com`, `a@${"b".repeat(250)}.com`, `${randomBytes(1600).toString("hex")}@example.com`]) {
        const err = await rpcError(registry.create({ user: { ids: { userId: "long-mail" }, primaryEmailAddress: email, password: "Long-Passw0rd" } }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/errors:validation");
      }
      await registry.create({ user: { ids: { userId: "ok-mail" }, primaryEmailAddress: `${"a".repeat(64)}@example.com`, password: "Long-Passw0rd" } });
    });

    it("bounds picture URLs", async () => {
      const err = await rpcError(server.client(UserRegistry, "connect").create({
        user: { ids: { userId: "long-url" }, primaryEmailAddress: "url@example.com", password: "Long-Passw0rd", profilePicture: { sizes: { 0: `https://example.com/${"p".repeat(3000)}` } } },
      }));
      expect(err.code).toBe(Code.InvalidArgument);
    });

    it("answers a field mask of 100,000 unknown paths with a short error, at once", async () => {
      const paths = Array.from({ length: 100_000 }, (_, i) => `no_such_path_${i}`);
      const res = await post("UserRegistry/Get", JSON.stringify({ user_ids: { user_id: "admin-user" }, field_mask: { paths } }), "application/json", { authorization: "" });
      expect(res.status).toBe(429); // resource_exhausted: over MAX_REQUEST_BYTES before anything is parsed
      expect(res.text.length).toBeLessThan(2_000);
      // Under the body limit: too many paths, or unknown ones, are refused with upstream's short error.
      const many = await post("UserRegistry/Get", JSON.stringify({ user_ids: { user_id: "admin-user" }, field_mask: { paths: paths.slice(0, 2_000) } }));
      expect(many.status).toBe(400);
      expect(many.text.length).toBeLessThan(2_000);
      const unknown = await post("UserRegistry/Get", JSON.stringify({ user_ids: { user_id: "admin-user" }, field_mask: { paths: paths.slice(0, 50) } }));
      expect(unknown.status).toBe(400);
      expect(errorName(unknown.body)).toBe("pkg/rpcmiddleware/validator:field_mask_paths");
      expect(unknown.body.message).toContain("forbidden path(s) in field mask");
      expect(unknown.text.length).toBeLessThan(2_000);
    });

    it("refuses a body over the limit before reading it, and lets Create carry a picture-sized one", async () => {
      const big = JSON.stringify({ query: "x".repeat(100_000) });
      const refused = await post("EntityRegistrySearch/SearchUsers", big);
      expect(refused.body.code).toBe("resource_exhausted");
      expect(errorName(refused.body)).toBe("pkg/rpcserver:request_too_large");
      // 200 KB into Create is within its picture limit: it reaches validation (name too long), not the size check.
      const create = await post("UserRegistry/Create", JSON.stringify({ user: { ids: { user_id: "big-body" }, primary_email_address: "big@example.com", password: "Big-Passw0rd", name: "n".repeat(200_000) } }));
      expect(create.status).toBe(400);
      expect(create.body.code).toBe("invalid_argument");
    });

    it("answers malformed protobuf with INVALID_ARGUMENT, not an internal error", async () => {
      for (const bytes of [Buffer.from([0x0a, 0xff, 0xff, 0xff]), Buffer.from([0xff]), Buffer.from([0x0a, 0x05, 0x01])]) {
        const res = await post("UserRegistry/Get", bytes, "application/proto");
        expect(res.status).toBe(400);
        expect(res.body.code).toBe("invalid_argument");
      }
      // Invalid UTF-8 in a binary string field: field 1 (user_ids), holding field 1 (user_id) = 0xff 0xfe.
      const res = await post("UserRegistry/Get", Buffer.from([0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe]), "application/proto");
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("invalid_argument");
      // A well-formed binary request still works.
      const ok = await post("UserRegistry/Get", Buffer.from(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { userIds: { userId: "admin-user" } }))), "application/proto");
      expect(ok.status).toBe(200);
    });

    it("answers wrong JSON types and broken compression with INVALID_ARGUMENT", async () => {
      for (const body of ['{"limit": "many"}', '{"deleted": "perhaps"}', "[1,2,3]", '{"field_mask": {"paths": 7}}', '{"order": 12}']) {
        const res = await post("UserRegistry/List", body);
        expect(res.status, body).toBe(400);
        expect(res.body.code).toBe("invalid_argument");
      }
      const gz = await post("UserRegistry/List", Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]), "application/json", { "content-encoding": "gzip" });
      expect(gz.status).toBe(400);
      expect(gz.body.code).toBe("invalid_argument");
    });

    it("refuses JSON nested deeper than any message before parsing it, gzipped or not", async () => {
      const deep = `{"user_ids":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
      const plain = await post("UserRegistry/Get", deep);
      expect([plain.status, plain.body.code]).toEqual([400, "invalid_argument"]);
      expect(plain.body.message).toMatch(/nested more than 100 levels/);
      const zipped = await post("UserRegistry/Get", gzipSync(deep), "application/json", { "content-encoding": "gzip" });
      expect([zipped.status, zipped.body.code]).toEqual([400, "invalid_argument"]);
      // Strings full of brackets are not nesting.
      const ok = await post("UserRegistry/Get", JSON.stringify({ user_ids: { user_id: "admin-user" }, field_mask: { paths: ["[".repeat(50)] } }));
      expect(ok.status).not.toBe(500);
      expect(ok.text).not.toMatch(/nested/);
    });

    it("keeps the search endpoint answering after NUL and oversized queries", async () => {
      const search = server.client(EntityRegistrySearch, "connect", server.adminKey);
      expect((await rpcError(search.searchUsers({ query: "a\u0000" }))).code).toBe(Code.InvalidArgument);
      expect((await rpcError(search.searchUsers({ query: "q".repeat(51) }))).code).toBe(Code.InvalidArgument);
      expect((await search.searchUsers({ query: "admin" })).users.length).toBeGreaterThan(0);
    });
  });
}
