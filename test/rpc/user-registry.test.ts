// UserRegistry at upstream behaviour (pkg/identityserver/user_registry.go), through a real client over a real
// socket on every database backend. One protocol suffices here: the protocol matrix is in smoke.test.ts.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserSchema, type User } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";

const PASSWORD = "Secret-Passw0rd";

for (const backend of databaseBackends()) {
  const protocol: Protocol = "connect";
  describe(`UserRegistry on ${backend.name}`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    let anonymous: Client<typeof UserRegistry>;
    let admin: Client<typeof UserRegistry>;
    const registry = (token?: string) => server.client(UserRegistry, protocol, token);

    beforeAll(async () => {
      // Upstream's own tests run with admin-rights.all, which lets the admin mint keys for test users.
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true" }, { clock });
      anonymous = registry();
      admin = registry(server.adminKey);
    });
    afterAll(async () => { await server?.close(); });

    let seq = 0;
    const uniqueId = (prefix: string) => `${prefix}-${protocol.replace(/-/g, "")}-${++seq}`;

    async function register(userId = uniqueId("user"), extra: Omit<Exclude<MessageInitShape<typeof UserSchema>, User>, "ids"> = {}): Promise<User> {
      return anonymous.create({
        user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: PASSWORD, ...extra },
      });
    }
    async function keyFor(userId: string, rights: Right[] = [Right.USER_ALL]): Promise<string> {
      const key = await server.client(UserAccess, protocol, server.adminKey).createAPIKey({ userIds: { userId }, rights, name: "test" });
      return key.key;
    }

    describe("Create", () => {
      it("self-registers an approved, non-admin user and never returns the password", async () => {
        const user = await register(undefined, {
          admin: true, state: State.SUSPENDED, primaryEmailAddressValidatedAt: timestampFromDate(new Date()), name: "Alice",
        });
        expect(user.admin).toBe(false);
        expect(user.state).toBe(State.APPROVED);
        expect(user.primaryEmailAddressValidatedAt).toBeUndefined();
        expect(user.name).toBe("Alice");
        expect(user.password).toBe("");
        expect(user.passwordUpdatedAt).toBeDefined();
      });

      it("lets an admin create an admin with the state it sends", async () => {
        const userId = uniqueId("made");
        const user = await admin.create({ user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: PASSWORD, admin: true, state: State.APPROVED } });
        expect(user.admin).toBe(true);
        expect(user.state).toBe(State.APPROVED);
        await admin.purge(user.ids!); // keep admin-user the only admin for the last-admin rule
      });

      it("rejects reserved IDs, even for admins", async () => {
        const err = await rpcError(admin.create({ user: { ids: { userId: "admin" }, primaryEmailAddress: "x@example.com", password: PASSWORD } }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/identityserver/blocklist:forbidden_id");
      });

      it("enforces the password policy", async () => {
        const err = await rpcError(register(undefined, { password: "short1A" }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/identityserver:password_strength_min_length");
        const userId = uniqueId("policy");
        const contains = await rpcError(register(userId, { password: `X1${userId}` }));
        expect(contains.errorName).toBe("pkg/identityserver:password_contains_user_id");
      });

      it("rejects a taken ID and a taken e-mail address in any case", async () => {
        const user = await register();
        const sameId = await rpcError(anonymous.create({ user: { ids: { userId: user.ids!.userId }, primaryEmailAddress: "other@example.com", password: PASSWORD } }));
        expect(sameId.code).toBe(Code.AlreadyExists);
        expect(sameId.errorName).toBe("pkg/util/store:already_exists");
        const sameEmail = await rpcError(register(undefined, { primaryEmailAddress: user.primaryEmailAddress.toUpperCase() }));
        expect(sameEmail.code).toBe(Code.AlreadyExists);
      });

      it("answers invalid input with a field-level validation error before anything else", async () => {
        const err = await rpcError(anonymous.create({ user: { ids: { userId: "Not_Valid" }, primaryEmailAddress: "a@example.com", password: PASSWORD } }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/errors:validation");
        expect(err.rawMessage).toContain("user.ids.user_id");
        const email = await rpcError(register(undefined, { primaryEmailAddress: "not-an-address" }));
        expect(email.code).toBe(Code.InvalidArgument);
      });
    });

    describe("Get", () => {
      it("returns the selected fields to the user itself, plus ids and timestamps", async () => {
        const user = await register(undefined, { attributes: { team: "blue" } });
        const own = registry(await keyFor(user.ids!.userId));
        const got = await own.get({ userIds: user.ids, fieldMask: { paths: ["attributes", "primary_email_address"] } });
        expect(got.attributes).toEqual({ team: "blue" });
        expect(got.primaryEmailAddress).toBe(user.primaryEmailAddress);
        expect(got.createdAt).toBeDefined();
        expect(got.name).toBe(""); // not selected
      });

      it("never reads passwords", async () => {
        const err = await rpcError(admin.get({ userIds: { userId: "admin-user" }, fieldMask: { paths: ["password"] } }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/rpcmiddleware/validator:field_mask_paths");
      });

      it("shows other users only public fields", async () => {
        const target = await register(undefined, { name: "Public Name", attributes: { secret: "x" } });
        const other = await register();
        const stranger = registry(await keyFor(other.ids!.userId));
        const pub = await stranger.get({ userIds: target.ids, fieldMask: { paths: ["name", "contact_info"] } });
        expect(pub.name).toBe("Public Name");
        expect(pub.contactInfo).toEqual([]);
        expect(pub.primaryEmailAddress).toBe("");
        const denied = await rpcError(stranger.get({ userIds: target.ids, fieldMask: { paths: ["attributes"] } }));
        expect(denied.code).toBe(Code.PermissionDenied);
      });

      it("needs USER_INFO for non-public fields, even with the user's own key", async () => {
        const user = await register();
        const weak = registry(await keyFor(user.ids!.userId, [Right.USER_SETTINGS_BASIC]));
        expect((await weak.get({ userIds: user.ids, fieldMask: { paths: ["ids"] } })).ids?.userId).toBe(user.ids!.userId);
        const err = await rpcError(weak.get({ userIds: user.ids, fieldMask: { paths: ["attributes"] } }));
        expect(err.code).toBe(Code.PermissionDenied);
        expect(err.errorName).toBe("pkg/auth/rights:insufficient_user_rights");
      });

      it("synthesises contact_info from the primary e-mail for the owner", async () => {
        const user = await register();
        const got = await registry(await keyFor(user.ids!.userId)).get({ userIds: user.ids, fieldMask: { paths: ["contact_info"] } });
        expect(got.contactInfo).toHaveLength(1);
        expect(got.contactInfo[0]!.value).toBe(user.primaryEmailAddress);
      });

      it("answers anonymous callers unauthenticated and admins not-found for unknown users", async () => {
        const anon = await rpcError(anonymous.get({ userIds: { userId: "admin-user" }, fieldMask: { paths: ["name"] } }));
        expect(anon.code).toBe(Code.Unauthenticated);
        expect(anon.errorName).toBe("pkg/identityserver:unauthenticated");
        const missing = await rpcError(admin.get({ userIds: { userId: "nobody-here" } }));
        expect(missing.code).toBe(Code.NotFound);
        expect(missing.errorName).toBe("pkg/identityserver/store:user_not_found");
      });
    });

    describe("List", () => {
      it("is admin-only", async () => {
        expect((await rpcError(anonymous.list({}))).code).toBe(Code.PermissionDenied);
        const user = await register();
        const err = await rpcError(registry(await keyFor(user.ids!.userId)).list({}));
        expect(err.code).toBe(Code.PermissionDenied);
        expect(err.errorName).toBe("pkg/identityserver:permission_denied");
      });

      it("pages with limit, page and order and reports the total in x-total-count", async () => {
        const prefix = uniqueId("page");
        for (const n of [3, 1, 2]) await register(`${prefix}-${n}`, { name: `n${n}` });
        let total = "";
        const first = await admin.list({ limit: 2, page: 1, order: "user_id", fieldMask: { paths: ["name"] } }, { onHeader: (h) => { total = h.get("x-total-count") ?? ""; } });
        expect(first.users).toHaveLength(2);
        expect(Number(total)).toBeGreaterThanOrEqual(4);
        const all = await admin.list({ limit: 1000, order: "-user_id" });
        const ids = all.users.map((u) => u.ids!.userId);
        expect(ids).toEqual([...ids].sort().reverse());
        const pastEnd = await admin.list({ limit: 10, page: 999 }, { onHeader: (h) => { total = h.get("x-total-count") ?? ""; } });
        expect(pastEnd.users).toEqual([]);
        expect(Number(total)).toBe(all.users.length);
      });

      it("returns attributes exactly when the mask selects them", async () => {
        const userId = uniqueId("attrs");
        await register(userId, { attributes: { team: "red", region: "eu" } });
        const page = async (paths: string[]) =>
          (await admin.list({ limit: 1000, fieldMask: { paths } })).users.find((u) => u.ids!.userId === userId)!;
        expect((await page(["attributes"])).attributes).toEqual({ team: "red", region: "eu" });
        expect((await page(["name", "attributes"])).attributes).toEqual({ team: "red", region: "eu" });
        expect((await page(["name"])).attributes).toEqual({});
      });
    });

    describe("Update", () => {
      it("updates masked fields only, validating only what the mask names", async () => {
        const user = await register(undefined, { name: "Before", description: "kept" });
        const own = registry(await keyFor(user.ids!.userId));
        // An invalid e-mail outside the mask is not validated (upstream).
        const updated = await own.update({ user: { ids: user.ids, name: "After", primaryEmailAddress: "invalid" }, fieldMask: { paths: ["name"] } });
        expect(updated.name).toBe("After");
        const got = await own.get({ userIds: user.ids, fieldMask: { paths: ["name", "description", "primary_email_address"] } });
        expect(got).toMatchObject({ name: "After", description: "kept", primaryEmailAddress: user.primaryEmailAddress });
        const bad = await rpcError(own.update({ user: { ids: user.ids, primaryEmailAddress: "invalid" }, fieldMask: { paths: ["primary_email_address"] } }));
        expect(bad.code).toBe(Code.InvalidArgument);
      });

      it("bumps updated_at on an empty mask and replaces the whole attribute map", async () => {
        const user = await register(undefined, { attributes: { aaa: "1", bbb: "2" } });
        const own = registry(await keyFor(user.ids!.userId));
        // With an empty mask every rule applies (upstream), so the message must be a valid user as a whole.
        const invalid = await rpcError(own.update({ user: { ids: user.ids }, fieldMask: { paths: [] } }));
        expect(invalid.errorName).toBe("pkg/errors:validation");
        const bumped = await own.update({ user: { ids: user.ids, primaryEmailAddress: user.primaryEmailAddress }, fieldMask: { paths: [] } });
        expect(timestampDate(bumped.updatedAt!).getTime()).toBeGreaterThan(timestampDate(user.updatedAt!).getTime());
        await own.update({ user: { ids: user.ids, attributes: { ccc: "3" } }, fieldMask: { paths: ["attributes"] } });
        expect((await own.get({ userIds: user.ids, fieldMask: { paths: ["attributes"] } })).attributes).toEqual({ ccc: "3" });
        const badKey = await rpcError(own.update({ user: { ids: user.ids, attributes: { x: "1" } }, fieldMask: { paths: ["attributes"] } }));
        expect(badKey.rawMessage).toContain("user.attributes");
      });

      it("keeps admin-only fields for admins", async () => {
        const user = await register();
        const own = registry(await keyFor(user.ids!.userId));
        for (const path of ["admin", "state", "state_description", "require_password_update", "primary_email_address_validated_at", "temporary_password"]) {
          const err = await rpcError(own.update({ user: { ids: user.ids }, fieldMask: { paths: [path] } }));
          expect(err.code, path).toBe(Code.PermissionDenied);
          expect(err.errorName).toBe("pkg/identityserver:update_admin_field");
        }
        const pw = await rpcError(own.update({ user: { ids: user.ids }, fieldMask: { paths: ["password"] } }));
        expect(pw.errorName).toBe("pkg/rpcmiddleware/validator:field_mask_paths");
      });

      it("clears validation when the user changes the address, keeps it when an admin does", async () => {
        const user = await register();
        const validated = timestampFromDate(new Date());
        await admin.update({ user: { ids: user.ids, primaryEmailAddressValidatedAt: validated }, fieldMask: { paths: ["primary_email_address_validated_at"] } });
        const byAdmin = await admin.update({ user: { ids: user.ids, primaryEmailAddress: `new-${user.primaryEmailAddress}` }, fieldMask: { paths: ["primary_email_address"] } });
        expect(byAdmin.primaryEmailAddress).toBe(`new-${user.primaryEmailAddress}`);
        const afterAdmin = await admin.get({ userIds: user.ids, fieldMask: { paths: ["primary_email_address_validated_at"] } });
        expect(afterAdmin.primaryEmailAddressValidatedAt).toBeDefined();
        const own = registry(await keyFor(user.ids!.userId));
        await own.update({ user: { ids: user.ids, primaryEmailAddress: `own-${user.primaryEmailAddress}` }, fieldMask: { paths: ["primary_email_address"] } });
        const afterOwn = await admin.get({ userIds: user.ids, fieldMask: { paths: ["primary_email_address_validated_at"] } });
        expect(afterOwn.primaryEmailAddressValidatedAt).toBeUndefined();
      });

      it("clears the state description when the state changes without one", async () => {
        const user = await register();
        await admin.update({ user: { ids: user.ids, state: State.FLAGGED, stateDescription: "spam?" }, fieldMask: { paths: ["state", "state_description"] } });
        const updated = await admin.update({ user: { ids: user.ids, state: State.APPROVED }, fieldMask: { paths: ["state"] } });
        expect(updated.state).toBe(State.APPROVED);
        const got = await admin.get({ userIds: user.ids, fieldMask: { paths: ["state_description"] } });
        expect(got.stateDescription).toBe("");
      });

      it("sets and removes a profile picture", async () => {
        const user = await register();
        const own = registry(await keyFor(user.ids!.userId));
        const sizes = { 0: "https://pictures.example.com/original.png" };
        await own.update({ user: { ids: user.ids, profilePicture: { sizes } }, fieldMask: { paths: ["profile_picture"] } });
        expect((await own.get({ userIds: user.ids, fieldMask: { paths: ["profile_picture"] } })).profilePicture?.sizes).toEqual(sizes);
        await own.update({ user: { ids: user.ids }, fieldMask: { paths: ["profile_picture"] } });
        const after = await own.get({ userIds: user.ids, fieldMask: { paths: ["profile_picture"] } });
        expect(JSON.stringify(after.profilePicture?.sizes ?? {})).not.toContain("pictures.example.com");
      });

      it("ignores deprecated contact_info with a warning", async () => {
        const user = await register();
        let warning = "";
        await admin.update(
          { user: { ids: user.ids, contactInfo: [{ value: "x@example.com" }] }, fieldMask: { paths: ["contact_info"] } },
          { onHeader: (h) => { warning = h.get("warning") ?? ""; } },
        );
        expect(warning).toMatch(/deprecated/i);
      });
    });

    describe("Delete, Restore and Purge", () => {
      it("a deleted user's credentials stop working; admins see not-found", async () => {
        const user = await register();
        const own = registry(await keyFor(user.ids!.userId));
        await own.delete(user.ids!);
        expect((await rpcError(own.get({ userIds: user.ids }))).code).toBe(Code.Unauthenticated);
        expect((await rpcError(admin.get({ userIds: user.ids }))).code).toBe(Code.NotFound);
        expect((await rpcError(own.purge(user.ids!))).errorName).toBe("pkg/identityserver:admins_purge_users");
        let total = "";
        const deleted = await admin.list({ deleted: true, limit: 1000 }, { onHeader: (h) => { total = h.get("x-total-count") ?? ""; } });
        expect(deleted.users.map((u) => u.ids!.userId)).toContain(user.ids!.userId);
        expect(deleted.users.every((u) => u.deletedAt)).toBe(true);
        expect(Number(total)).toBe(deleted.users.length);
      });

      it("restores within the window, and the e-mail of a deleted user can be taken meanwhile", async () => {
        const user = await register();
        await admin.delete(user.ids!);
        const taker = await register(undefined, { primaryEmailAddress: user.primaryEmailAddress });
        expect((await rpcError(admin.restore(user.ids!))).code).toBe(Code.AlreadyExists);
        await admin.purge(taker.ids!);
        await admin.restore(user.ids!);
        expect((await admin.get({ userIds: user.ids })).ids?.userId).toBe(user.ids!.userId);
        expect((await rpcError(admin.restore(user.ids!))).code).toBe(Code.NotFound); // not deleted any more
      });

      it("refuses to restore after the restore window", async () => {
        const user = await register();
        await admin.delete(user.ids!);
        clock.advance(server.config.restoreWindowMs + 1000);
        const err = await rpcError(admin.restore(user.ids!));
        expect(err.code).toBe(Code.FailedPrecondition);
        expect(err.errorName).toBe("pkg/identityserver:restore_window_expired");
      });

      it("purge is admin-only and frees the ID", async () => {
        const user = await register();
        const own = registry(await keyFor(user.ids!.userId));
        expect((await rpcError(own.purge(user.ids!))).code).toBe(Code.PermissionDenied);
        await admin.purge(user.ids!);
        expect((await rpcError(admin.get({ userIds: user.ids }))).code).toBe(Code.NotFound);
        const again = await register(user.ids!.userId);
        expect(again.ids?.userId).toBe(user.ids!.userId);
      });

      it("validates bare identifiers with pkg/ttnpb:identifiers", async () => {
        const err = await rpcError(admin.delete({ userId: "X" }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.errorName).toBe("pkg/ttnpb:identifiers");
      });
    });

    describe("passwords", () => {
      it("changes the password with the old one and rejects wrong or weak ones", async () => {
        const user = await register();
        const started = clock.now().getTime();
        const wrong = await rpcError(anonymous.updatePassword({ userIds: user.ids, old: "Wrong-Passw0rd", new: "New-Passw0rd1" }));
        expect(wrong.code).toBe(Code.Unauthenticated);
        expect(wrong.errorName).toBe("pkg/identityserver:old_password");
        expect((await rpcError(anonymous.updatePassword({ userIds: user.ids, old: PASSWORD, new: "Weak" }))).code).toBe(Code.InvalidArgument);
        expect((await rpcError(anonymous.updatePassword({ userIds: user.ids, old: PASSWORD, new: PASSWORD }))).errorName).toBe("pkg/identityserver:password_equals_old");
        await anonymous.updatePassword({ userIds: user.ids, old: PASSWORD, new: "New-Passw0rd1" });
        const got = await admin.get({ userIds: user.ids, fieldMask: { paths: ["password_updated_at"] } });
        expect(timestampDate(got.passwordUpdatedAt!).getTime()).toBeGreaterThanOrEqual(started);
        // The old password no longer works; the new one does.
        expect((await rpcError(anonymous.updatePassword({ userIds: user.ids, old: PASSWORD, new: "Other-Passw0rd2" }))).code).toBe(Code.Unauthenticated);
        await anonymous.updatePassword({ userIds: user.ids, old: "New-Passw0rd1", new: "Other-Passw0rd2" });
      });

      it("mails a temporary password that can set a new password once, and never twice in a row", async () => {
        const user = await register();
        // Only this user's temporary-password mail: notification mails (password_changed) arrive in the background.
        const temporaryMails = () => server.mail.filter((m) => m.to === user.primaryEmailAddress && m.text.includes("Temporary password:"));
        await anonymous.createTemporaryPassword({ userIds: user.ids });
        expect((await rpcError(anonymous.createTemporaryPassword({ userIds: user.ids }))).errorName).toBe("pkg/identityserver:temporary_password_still_valid");
        await expect.poll(() => temporaryMails().length).toBe(1);
        const mail = temporaryMails()[0]!;
        expect(mail.to).toBe(user.primaryEmailAddress);
        const temporary = /Temporary password: ([A-Z2-7]{52})/.exec(mail.text)?.[1];
        expect(temporary).toBeDefined();
        expect(mail.html).toContain(temporary);
        await anonymous.updatePassword({ userIds: user.ids, old: temporary!, new: "From-Temp0rary" });
        // Used once: it is gone.
        expect((await rpcError(anonymous.updatePassword({ userIds: user.ids, old: temporary!, new: "Again-Temp0rary" }))).code).toBe(Code.Unauthenticated);
        await anonymous.updatePassword({ userIds: user.ids, old: "From-Temp0rary", new: "Again-Temp0rary" });
      });

      it("refuses an expired temporary password", async () => {
        const user = await register();
        const temporaryMails = () => server.mail.filter((m) => m.to === user.primaryEmailAddress && m.text.includes("Temporary password:"));
        await anonymous.createTemporaryPassword({ userIds: user.ids });
        await expect.poll(() => temporaryMails().length).toBe(1);
        const temporary = /Temporary password: ([A-Z2-7]{52})/.exec(temporaryMails()[0]!.text)![1]!;
        clock.advance(server.config.temporaryPasswordTtlMs + 1000);
        const err = await rpcError(anonymous.updatePassword({ userIds: user.ids, old: temporary, new: "Late-Temp0rary" }));
        expect(err.errorName).toBe("pkg/identityserver:temporary_password_expired");
      });

      it("answers not-found for unknown users", async () => {
        expect((await rpcError(anonymous.createTemporaryPassword({ userIds: { userId: "no-such-user" } }))).code).toBe(Code.NotFound);
        expect((await rpcError(anonymous.updatePassword({ userIds: { userId: "no-such-user" }, old: "Whatever-1", new: "Whatever-2" }))).code).toBe(Code.NotFound);
      });
    });

    it("keeps data across a restart", async () => {
      const user = await register();
      await server.restart();
      const got = await registry(server.adminKey).get({ userIds: user.ids, fieldMask: { paths: ["primary_email_address"] } });
      expect(got.primaryEmailAddress).toBe(user.primaryEmailAddress);
    });
  });
}

/** Rules about the deployment as a whole need their own servers. */
for (const backend of databaseBackends()) {
  describe(`deployment rules on ${backend.name}`, () => {
    const protocol: Protocol = "connect";

    it("refuses to demote or delete the only admin, however the identifiers are spelled", async () => {
      const server = await startTestServer(backend);
      try {
        const admin = server.client(UserRegistry, protocol, server.adminKey);
        // Upstream compares the whole identifiers, so adding an e-mail slipped past the check; we compare the ID.
        const demote = await rpcError(admin.update({ user: create(UserSchema, { ids: { userId: "admin-user", email: "trick@example.com" }, admin: false }), fieldMask: { paths: ["admin"] } }));
        expect(demote.code).toBe(Code.FailedPrecondition);
        expect(demote.errorName).toBe("pkg/identityserver/store:last_admin");
        const remove = await rpcError(admin.delete({ userId: "admin-user" }));
        expect(remove.errorName).toBe("pkg/identityserver/store:last_admin");
        expect((await server.client(UserRegistry, protocol, server.adminKey).get({ userIds: { userId: "admin-user" }, fieldMask: { paths: ["admin"] } })).admin).toBe(true);
      } finally {
        await server.close();
      }
    });

    it("puts self-registered users in REQUESTED when admin approval is required", async () => {
      const server = await startTestServer(backend, { USER_REGISTRATION_ADMIN_APPROVAL_REQUIRED: "true" });
      try {
        const user = await server.client(UserRegistry, protocol).create({ user: { ids: { userId: "pending-user" }, primaryEmailAddress: "p@example.com", password: PASSWORD } });
        expect(user.state).toBe(State.REQUESTED);
        expect(user.stateDescription).toBe("admin approval required");
      } finally {
        await server.close();
      }
    });

    it("refuses self-registration when disabled or when an invitation is required, but not for admins", async () => {
      const server = await startTestServer(backend, { USER_REGISTRATION_ENABLED: "false", USER_REGISTRATION_INVITATION_REQUIRED: "true" });
      try {
        const body = { user: { ids: { userId: "someone" }, primaryEmailAddress: "s@example.com", password: PASSWORD } };
        const required = await rpcError(server.client(UserRegistry, protocol).create(body));
        expect(required.errorName).toBe("pkg/identityserver:invitation_token_required");
        const disabled = await rpcError(server.client(UserRegistry, protocol).create({ ...body, invitationToken: "SOMETOKEN" }));
        expect(disabled.errorName).toBe("pkg/identityserver:user_registration_disabled");
        const made = await server.client(UserRegistry, protocol, server.adminKey).create({ user: { ...body.user, state: State.APPROVED } });
        expect(made.ids?.userId).toBe("someone");
        // An admin key without the admin-field right is treated like anyone else (upstream recommends this).
        const narrow = await server.client(UserAccess, protocol, server.adminKey).createAPIKey({ userIds: { userId: "admin-user" }, rights: [Right.USER_INFO] });
        const refused = await rpcError(server.client(UserRegistry, protocol, narrow.key).create({
          user: { ids: { userId: "other-admin" }, primaryEmailAddress: "o@example.com", password: PASSWORD, admin: true, state: State.APPROVED },
        }));
        expect(refused.errorName).toBe("pkg/identityserver:invitation_token_required");
      } finally {
        await server.close();
      }
    });
  });
}
