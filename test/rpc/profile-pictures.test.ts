// Profile pictures: embedded uploads are checked, stored
// apart from the user and served at /profile-pictures/<id>; users only ever carry `sizes` URLs. Through real
// clients over a real socket, on every database backend.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import type { PictureSchema } from "../../gen/ttn/lorawan/v3/picture_pb.js";
import type { User } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { EntityRegistrySearch } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { migrate, readMigrations } from "../../server/store/migrate.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";
import { createUserKey, USER_PASSWORD } from "../support/users.js";

type PictureInit = MessageInitShape<typeof PictureSchema>;

const PUBLIC_URL = "https://id.example.com";
const PICTURE_URL = new RegExp(`^${PUBLIC_URL.replace(/\./g, "\\.")}/profile-pictures/([0-9a-f-]{36})$`);

// --- tiny images, built here -------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
/** A valid 1×1 RGB PNG of the given colour. */
function png(rgb: [number, number, number]): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0); // width
  header.writeUInt32BE(1, 4); // height
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from([0, ...rgb]))), // filter byte, then the pixel
    chunk("IEND", Buffer.alloc(0)),
  ]));
}
/** The start of a JPEG (SOI + JFIF APP0 + EOI): enough to be recognised. */
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>');

/** The picture ID in a size-0 URL of ours (the test fails when it is not one). */
function pictureId(user: User): string {
  const url = user.profilePicture?.sizes[0] ?? "";
  const match = PICTURE_URL.exec(url);
  expect(match, `size 0 is ${url || "missing"}`).not.toBeNull();
  return match![1]!;
}

for (const backend of databaseBackends()) {
  describe(`profile pictures on ${backend.name}`, () => {
    let server: TestServer;
    let admin: Client<typeof UserRegistry>;
    let seq = 0;
    const uniqueId = (prefix: string) => `${prefix}-${++seq}`;
    const fetchPicture = (id: string, method = "GET") => fetch(`${server.baseUrl}/profile-pictures/${id}`, { method });
    const storedRows = (userId: string) => server.db.profilePicture.count({ where: { user: { userId } } });

    /** A registered user and a client holding a key of that user. */
    async function newUser(picture?: Uint8Array, mimeType = "") {
      const userId = uniqueId("pic");
      const created = await server.client(UserRegistry, "connect").create({
        user: {
          ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD,
          profilePicture: picture ? { embedded: { mimeType, data: picture } } : undefined,
        },
      });
      const key = await createUserKey(server, server.adminKey, userId, [Right.USER_ALL]);
      return { userId, created, own: server.client(UserRegistry, "connect", key) };
    }
    const setPicture = (own: Client<typeof UserRegistry>, userId: string, profilePicture?: PictureInit) =>
      own.update({ user: { ids: { userId }, profilePicture }, fieldMask: { paths: ["profile_picture"] } });
    const getPicture = async (userId: string) =>
      (await admin.get({ userIds: { userId }, fieldMask: { paths: ["profile_picture"] } })).profilePicture;

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", PUBLIC_URL });
      admin = server.client(UserRegistry, "connect", server.adminKey);
    });
    afterAll(async () => { await server?.close(); });

    for (const protocol of PROTOCOLS) {
      it(`stores an uploaded PNG and serves it at the URL the user now carries (Update over ${protocol})`, async () => {
        const { userId } = await newUser();
        const key = await createUserKey(server, server.adminKey, userId, [Right.USER_ALL]);
        const own = server.client(UserRegistry, protocol, key);
        const bytes = png([255, 0, 0]);
        const updated = await own.update({
          user: { ids: { userId }, profilePicture: { embedded: { mimeType: "image/png", data: bytes } } },
          fieldMask: { paths: ["profile_picture"] },
        });
        const id = pictureId(updated);
        expect(Object.keys(updated.profilePicture!.sizes)).toEqual(["0"]);
        expect(updated.profilePicture!.embedded).toBeUndefined();

        const res = await fetchPicture(id);
        expect(res.status).toBe(200);
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
        expect(res.headers.get("content-type")).toBe("image/png");
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("content-security-policy")).toBe("default-src 'none'");
        expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");

        const head = await fetchPicture(id, "HEAD");
        expect(head.status).toBe(200);
        expect(head.headers.get("content-length")).toBe(String(bytes.length));
        expect((await head.arrayBuffer()).byteLength).toBe(0);
      });
    }

    it("shows the URL, never the bytes, to every reader of the public field", async () => {
      const { userId, own } = await newUser();
      const id = pictureId(await setPicture(own, userId, { embedded: { mimeType: "image/png", data: png([0, 255, 0]) } }));
      const other = await newUser();
      const seen = await other.own.get({ userIds: { userId }, fieldMask: { paths: ["profile_picture"] } });
      expect(pictureId(seen)).toBe(id);
      expect(seen.profilePicture!.embedded).toBeUndefined();
      const ownView = await own.get({ userIds: { userId }, fieldMask: { paths: ["profile_picture.embedded", "profile_picture.sizes"] } });
      expect(pictureId(ownView)).toBe(id);
      expect(ownView.profilePicture!.embedded).toBeUndefined();

      const { users: listed } = await admin.list({ fieldMask: { paths: ["profile_picture"] }, limit: 1000 });
      expect(pictureId(listed.find((u) => u.ids!.userId === userId)!)).toBe(id);
      const { users: found } = await server.client(EntityRegistrySearch, "connect", server.adminKey)
        .searchUsers({ query: userId, fieldMask: { paths: ["profile_picture"] } });
      expect(pictureId(found.find((u) => u.ids!.userId === userId)!)).toBe(id);
    });

    it("accepts a picture on Create and takes the detected type when none is declared", async () => {
      const { userId, created } = await newUser(JPEG);
      const id = pictureId(created);
      expect(created.profilePicture!.embedded).toBeUndefined();
      const res = await fetchPicture(id);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/jpeg");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(JPEG);
      expect(pictureId((await admin.get({ userIds: { userId }, fieldMask: { paths: ["profile_picture"] } })))).toBe(id);
    });

    it("refuses SVG and unknown data, and a declared type that is not the data's, naming the field", async () => {
      const { userId, own } = await newUser();
      const cases: [Uint8Array, string, string][] = [
        [SVG, "image/svg+xml", "user.profile_picture.embedded.data"],
        [SVG, "", "user.profile_picture.embedded.data"],
        [new TextEncoder().encode("<html><script>alert(1)</script></html>"), "image/png", "user.profile_picture.embedded.data"],
        [png([0, 0, 255]), "image/jpeg", "user.profile_picture.embedded.mime_type"],
        [JPEG, "text/html", "user.profile_picture.embedded.mime_type"],
      ];
      for (const [data, mimeType, field] of cases) {
        const err = await rpcError(setPicture(own, userId, { embedded: { mimeType, data } }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/errors:validation");
        expect(err.rawMessage).toContain(field);
        const violations = err.findDetails(ViolationsSchema)[0]?.violations ?? [];
        expect(violations.map((v) => v.field?.elements.map((e) => e.fieldName).join("."))).toEqual([field]);
      }
      const svgUser = uniqueId("svg");
      const anonymousErr = await rpcError(server.client(UserRegistry, "connect").create({
        user: {
          ids: { userId: svgUser }, primaryEmailAddress: `${svgUser}@example.com`, password: USER_PASSWORD,
          profilePicture: { embedded: { mimeType: "image/svg+xml", data: SVG } },
        },
      }));
      expect(anonymousErr.code).toBe(Code.InvalidArgument);
      expect(anonymousErr.rawMessage).toContain("user.profile_picture.embedded.data");
      expect(await storedRows(userId)).toBe(0);
      expect(await server.db.user.count({ where: { userId: svgUser } })).toBe(0);
    });

    it("accepts the other raster types and common aliases of the declared type", async () => {
      const { userId, own } = await newUser();
      const gif = new Uint8Array([...new TextEncoder().encode("GIF89a"), 1, 0, 1, 0, 0, 0, 0, 0x3b]);
      const webp = new Uint8Array([...new TextEncoder().encode("RIFF"), 4, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8 ")]);
      for (const [data, mimeType, served] of [[gif, "image/gif", "image/gif"], [webp, "", "image/webp"], [JPEG, "image/JPG", "image/jpeg"]] as const) {
        const id = pictureId(await setPicture(own, userId, { embedded: { mimeType, data } }));
        expect((await fetchPicture(id)).headers.get("content-type")).toBe(served);
      }
    });

    it("removes the previous upload when the picture is replaced or removed, and falls back to Gravatar", async () => {
      const { userId, own, created } = await newUser(png([1, 2, 3]), "image/png");
      const first = pictureId(created);
      const second = pictureId(await setPicture(own, userId, { embedded: { mimeType: "image/png", data: png([4, 5, 6]) } }));
      expect(second).not.toBe(first);
      expect((await fetchPicture(first)).status).toBe(404);
      expect((await fetchPicture(second)).status).toBe(200);
      expect(await storedRows(userId)).toBe(1);

      // Any picture sub-path replaces the whole picture; none given removes it.
      const removed = await own.update({ user: { ids: { userId } }, fieldMask: { paths: ["profile_picture.sizes"] } });
      expect(Object.values(removed.profilePicture?.sizes ?? {}).every((u) => u.startsWith("https://www.gravatar.com/avatar/"))).toBe(true);
      const gone = await fetchPicture(second);
      expect(gone.status).toBe(404);
      expect(gone.headers.get("cache-control")).toBe("no-store");
      expect(await storedRows(userId)).toBe(0);
      const after = await getPicture(userId);
      expect(Object.keys(after?.sizes ?? {}).map(Number).sort((a, b) => a - b)).toEqual([64, 128, 256, 512]);
      expect(after?.sizes[64]).toMatch(/^https:\/\/www\.gravatar\.com\/avatar\/[0-9a-f]{32}\?s=64&d=404$/);
    });

    it("hides the picture of a deleted user, shows it again on restore, and purge removes it", async () => {
      const { userId, created } = await newUser(png([7, 8, 9]), "image/png");
      const id = pictureId(created);
      await admin.delete({ userId });
      expect((await fetchPicture(id)).status).toBe(404);
      await admin.restore({ userId });
      expect((await fetchPicture(id)).status).toBe(200);
      expect(pictureId((await admin.get({ userIds: { userId }, fieldMask: { paths: ["profile_picture"] } })))).toBe(id);
      await admin.purge({ userId });
      expect((await fetchPicture(id)).status).toBe(404);
      expect(await server.db.profilePicture.count({ where: { id } })).toBe(0);
    });

    it("reduces external URLs to the original, or else the largest size, and drops an earlier upload", async () => {
      const { userId, own, created } = await newUser(png([9, 9, 9]), "image/png");
      const upload = pictureId(created);
      const withOriginal = await setPicture(own, userId, { sizes: { 0: "https://cdn.example.com/o.png", 256: "https://cdn.example.com/256.png" } });
      expect(withOriginal.profilePicture?.sizes).toEqual({ 0: "https://cdn.example.com/o.png" });
      expect((await fetchPicture(upload)).status).toBe(404);
      expect(await storedRows(userId)).toBe(0);
      await setPicture(own, userId, { sizes: { 64: "https://cdn.example.com/64.png", 512: "https://cdn.example.com/512.png", 128: "https://cdn.example.com/128.png" } });
      expect((await getPicture(userId))?.sizes).toEqual({ 512: "https://cdn.example.com/512.png" });
    });

    it("answers 404 for anything that is not a stored picture, without authentication for those that are", async () => {
      for (const p of ["not-a-uuid", "..%2Fhealthz", "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000/x", ""]) {
        const res = await fetch(`${server.baseUrl}/profile-pictures/${p}`);
        expect(res.status, p).toBe(404);
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      }
      const { created } = await newUser(JPEG);
      const id = pictureId(created);
      expect((await fetch(`${server.baseUrl}/profile-pictures/${id}?s=64`)).status).toBe(200);
      const post = await fetchPicture(id, "POST");
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD");
    });

    it("keeps refusing new pictures when uploads are disabled", async () => {
      const disabled = await startTestServer(backend, { PROFILE_PICTURE_DISABLE_UPLOAD: "true", PUBLIC_URL });
      try {
        const userId = uniqueId("nopic");
        const create = (profilePicture?: PictureInit) => disabled.client(UserRegistry, "connect").create({
          user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD, profilePicture },
        });
        for (const picture of <PictureInit[]>[{ embedded: { mimeType: "image/png", data: png([0, 0, 0]) } }, { sizes: { 0: "https://cdn.example.com/o.png" } }]) {
          const err = await rpcError(create(picture));
          expect(err.code).toBe(Code.FailedPrecondition);
          expect(err.errorName).toBe("pkg/identityserver:profile_picture_uploads_disabled");
        }
        expect(await disabled.db.profilePicture.count()).toBe(0);
        await create(undefined); // and users without one are still welcome
      } finally {
        await disabled.close();
      }
    });
  });

  describe(`profile pictures stored before the upgrade (${backend.name})`, { timeout: 120_000 }, () => {
    it("moves embedded raster pictures to the picture table and drops the rest", async () => {
      const all = readMigrations("prisma/migrations");
      const upgrade = all.findIndex((m) => m.name.endsWith("_profile_pictures"));
      expect(upgrade).toBeGreaterThan(0);
      // The migrations before the upgrade, as an older release had them.
      const before = mkdtempSync(path.join(os.tmpdir(), "ttnid-migrations-"));
      for (const m of all.slice(0, upgrade)) cpSync(path.join("prisma/migrations", m.name), path.join(before, m.name), { recursive: true });
      const { db, dispose } = await backend.create({ migrate: false });
      try {
        await migrate(db, before);
        const pngBytes = png([10, 20, 30]);
        const legacy: Record<string, unknown> = {
          "old-png": { embedded: { mimeType: "image/png", data: Buffer.from(pngBytes).toString("base64") } },
          "old-svg": { embedded: { mimeType: "image/svg+xml", data: Buffer.from(SVG).toString("base64") } },
          "old-svg-with-url": { embedded: { data: Buffer.from(SVG).toString("base64") }, sizes: { "0": "https://cdn.example.com/o.png" } },
          "old-url": { sizes: { "0": "https://cdn.example.com/u.png" } },
        };
        for (const [userId, picture] of Object.entries(legacy)) {
          await db.sql(
            `INSERT INTO "users" ("id", "user_id", "primary_email_address", "password_hash", "state", "profile_picture", "updated_at")
             VALUES (gen_random_uuid(), $1, $2, 'x', ${State.APPROVED}, $3::jsonb, now())`,
            [userId, `${userId}@example.com`, JSON.stringify(picture)],
          );
        }
        expect(await migrate(db)).toEqual(all.slice(upgrade).map((m) => m.name));

        const pictures = async () => Object.fromEntries(
          (await db.sql(`SELECT "user_id", "profile_picture" FROM "users" ORDER BY 1`)).rows.map((r) => [r.user_id, r.profile_picture]),
        );
        const after = await pictures();
        const stored = (await db.sql(`SELECT "id", "mime_type", "data" FROM "profile_pictures"`)).rows;
        expect(stored).toHaveLength(1);
        expect(stored[0].mime_type).toBe("image/png");
        expect(new Uint8Array(stored[0].data)).toEqual(pngBytes);
        expect(after["old-png"]).toEqual({ sizes: { "0": `profile-pictures/${stored[0].id}` } });
        expect(after["old-svg"]).toBeNull();
        expect(after["old-svg-with-url"]).toEqual({ sizes: { "0": "https://cdn.example.com/o.png" } });
        expect(after["old-url"]).toEqual({ sizes: { "0": "https://cdn.example.com/u.png" } });
      } finally {
        await dispose();
        rmSync(before, { recursive: true, force: true });
      }
    });
  });
}
