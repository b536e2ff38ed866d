// UserInvitationRegistry (upstream pkg/identityserver/invitation_registry.go) and invitation acceptance in
// UserRegistry.Create, through real clients over a real socket, on every database backend.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserInvitationRegistry, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { PROTOCOLS, databaseBackends, rpcError, startTestServer, type Protocol, type TestServer } from "../support/server.js";
import { USER_PASSWORD, createUserKey, registerUser } from "../support/users.js";

const TOKEN = /^[A-Z2-7]{52}$/;

for (const backend of databaseBackends()) {
  describe(`UserInvitationRegistry on ${backend.name}`, () => {
    let server: TestServer;
    let userKey: string;
    let narrowAdminKey: string;
    let inviteOnlyAdminKey: string;
    const invitations = (token?: string, protocol: Protocol = "connect") => server.client(UserInvitationRegistry, protocol, token);
    const admin = (protocol: Protocol = "connect") => invitations(server.adminKey, protocol);
    const register = (userId: string, invitationToken: string) =>
      server.client(UserRegistry, "connect").create({
        user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD }, invitationToken,
      });

    beforeAll(async () => {
      // admin-rights.all lets the admin mint keys for other users, as in upstream's tests.
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true" });
      await registerUser(server, "plain-user");
      userKey = await createUserKey(server, server.adminKey, "plain-user", [Right.USER_ALL]);
      narrowAdminKey = await createUserKey(server, server.adminKey, "admin-user", [Right.USER_ALL]);
      inviteOnlyAdminKey = await createUserKey(server, server.adminKey, "admin-user", [Right.SEND_INVITES]);
    });
    afterAll(async () => { await server?.close(); });

    describe("who may invite", () => {
      const callers: [string, () => string | undefined][] = [
        ["an anonymous caller", () => undefined],
        ["a non-admin with a RIGHT_USER_ALL key", () => userKey],
        ["an admin whose key lacks RIGHT_SEND_INVITES", () => narrowAdminKey],
      ];
      for (const [who, key] of callers) {
        it(`refuses ${who} on Send, List and Delete`, async () => {
          // One call at a time: promises created up front would reject unobserved while the first is awaited.
          for (const call of [
            () => invitations(key()).send({ email: "denied@example.com" }),
            () => invitations(key()).list({}),
            () => invitations(key()).delete({ email: "denied@example.com" }),
          ]) {
            const err = await rpcError(call());
            expect([err.code, err.errorName]).toEqual([Code.PermissionDenied, "pkg/identityserver:no_invite_rights"]);
          }
        });
      }

      it("lets an admin key holding only RIGHT_SEND_INVITES invite", async () => {
        const invitation = await invitations(inviteOnlyAdminKey).send({ email: "narrow-ok@example.com" });
        expect(invitation.email).toBe("narrow-ok@example.com");
        await admin().delete({ email: "narrow-ok@example.com" });
      });

      it("validates the request before checking rights", async () => {
        const err = await rpcError(invitations().send({ email: "not-an-address" }));
        expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/errors:validation"]);
      });

      it("fails authentication for a bad credential", async () => {
        const err = await rpcError(invitations("NNSXS.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBB").list({}));
        expect(err.code).toBe(Code.Unauthenticated);
      });
    });

    for (const protocol of PROTOCOLS) {
      it(`sends, lists and deletes an invitation over ${protocol}`, async () => {
        const email = `foobar-${protocol}@example.com`;
        const before = Date.now();
        const sent = await admin(protocol).send({ email });
        expect(sent.email).toBe(email);
        expect(sent.token).toMatch(TOKEN);
        expect(sent.acceptedAt).toBeUndefined();
        expect(sent.acceptedBy).toBeUndefined();
        const created = timestampDate(sent.createdAt!).getTime();
        expect(created).toBeGreaterThanOrEqual(before - 1000);
        // Default TTL 168 h (is.user-registration.invitation.token-ttl).
        expect(timestampDate(sent.expiresAt!).getTime() - created).toBe(168 * 3600_000);

        const { invitations: listed } = await admin(protocol).list({});
        expect(listed.filter((i) => i.email === email)).toEqual([sent]);

        await admin(protocol).delete({ email: email.toUpperCase() }); // matched case-insensitively
        const { invitations: after } = await admin(protocol).list({});
        expect(after.find((i) => i.email === email)).toBeUndefined();
      });
    }

    it("refuses a second invitation to the same address in any case, until the first is deleted", async () => {
      await admin().send({ email: "twice@example.com" });
      const err = await rpcError(admin("grpc").send({ email: "TWICE@Example.com" }));
      expect([err.code, err.errorName]).toEqual([Code.AlreadyExists, "pkg/identityserver/store:invitation_already_sent"]);
      await admin().delete({ email: "twice@example.com" });
      await admin().send({ email: "TWICE@Example.com" });
      await admin().delete({ email: "twice@example.com" });
    });

    it("invites an address that already belongs to a user, as upstream", async () => {
      const invitation = await admin().send({ email: "Plain-User@example.com" });
      expect(invitation.email).toBe("Plain-User@example.com");
      await admin().delete({ email: "plain-user@example.com" });
    });

    it("does not match `_` as a wildcard when deleting", async () => {
      await admin().send({ email: "a_b@example.com" });
      const err = await rpcError(admin().delete({ email: "axb@example.com" }));
      expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:invitation_not_found"]);
      await admin().delete({ email: "A_B@example.com" });
    });

    it("answers NotFound when deleting an unknown address", async () => {
      const err = await rpcError(admin().delete({ email: "nobody@example.com" }));
      expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:invitation_not_found"]);
    });

    it("e-mails the invitation with its registration link under PUBLIC_URL", async () => {
      const sent = await admin().send({ email: "mailed@example.com" });
      await vi.waitFor(() => expect(server.mail.filter((m) => m.to === "mailed@example.com")).toHaveLength(1));
      const mail = server.mail.find((m) => m.to === "mailed@example.com")!;
      const link = `${server.config.publicUrl}/oauth/register?invitation_token=${sent.token}`;
      expect(mail.subject).toMatch(/invited/i);
      expect(mail.text).toContain(link);
      expect(mail.text).toContain("7 days");
      expect(mail.html).toContain(`href="${link}"`);
      await admin().delete({ email: "mailed@example.com" });
    });

    it("pages the list oldest first and reports x-total-count", async () => {
      const emails = Array.from({ length: 5 }, (_, i) => `page-${i}@example.com`);
      for (const email of emails) await admin().send({ email });
      let total = "";
      const onHeader = (h: Headers) => { total = h.get("x-total-count") ?? ""; };
      const { invitations: all } = await admin().list({}, { onHeader });
      expect(all.map((i) => i.email)).toEqual(emails);
      expect(total).toBe("5");
      const pages = [];
      for (let page = 1; page <= 4; page++) {
        total = "";
        const { invitations: got } = await admin("grpc-web").list({ limit: 2, page }, { onHeader });
        expect(total).toBe("5");
        pages.push(got.map((i) => i.email));
      }
      expect(pages).toEqual([emails.slice(0, 2), emails.slice(2, 4), emails.slice(4), []]);
      for (const email of emails) await admin().delete({ email });
    });

    describe("UserRegistry.Create with an invitation token", () => {
      it("accepts the invitation with the user's creation; the token then counts as used", async () => {
        const sent = await admin().send({ email: "invited@example.com" });
        const user = await register("invited-user", sent.token);
        expect(user.ids!.userId).toBe("invited-user");

        const { invitations: listed } = await admin().list({});
        const accepted = listed.find((i) => i.email === "invited@example.com")!;
        expect(accepted.acceptedBy?.userId).toBe("invited-user");
        expect(accepted.acceptedAt).toBeDefined();

        const reused = await rpcError(register("second-user", sent.token));
        expect([reused.code, reused.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver/store:invitation_already_used"]);
        // Nothing of the refused registration remains.
        const anotherTry = await rpcError(server.client(UserRegistry, "connect", server.adminKey).get({ userIds: { userId: "second-user" } }));
        expect(anotherTry.code).toBe(Code.NotFound);

        // Deleting an accepted invitation leaves the user alone.
        await admin().delete({ email: "invited@example.com" });
        await server.client(UserRegistry, "connect", server.adminKey).get({ userIds: { userId: "invited-user" } });
      });

      it("refuses an unknown token and creates nothing", async () => {
        const err = await rpcError(register("unknown-token-user", "A".repeat(52)));
        expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:invitation_not_found"]);
        const get = await rpcError(server.client(UserRegistry, "connect", server.adminKey).get({ userIds: { userId: "unknown-token-user" } }));
        expect(get.code).toBe(Code.NotFound);
      });

      it("rolls the acceptance back when the user cannot be created", async () => {
        const sent = await admin().send({ email: "rollback@example.com" });
        const err = await rpcError(register("plain-user", sent.token)); // ID taken
        expect(err.code).toBe(Code.AlreadyExists);
        const { invitations: listed } = await admin().list({});
        expect(listed.find((i) => i.email === "rollback@example.com")!.acceptedAt).toBeUndefined();
        await register("rollback-user", sent.token);
      });
    });
  });

  describe(`Invitation tokens past their TTL on ${backend.name}`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    beforeAll(async () => { server = await startTestServer(backend, { INVITATION_TOKEN_TTL: "1s" }, { clock }); });
    afterAll(async () => { await server?.close(); });

    it("refuses an expired token with FailedPrecondition", async () => {
      const sent = await server.client(UserInvitationRegistry, "connect", server.adminKey).send({ email: "late@example.com" });
      expect(timestampDate(sent.expiresAt!).getTime() - timestampDate(sent.createdAt!).getTime()).toBe(1000);
      clock.advance(1001);
      const err = await rpcError(server.client(UserRegistry, "grpc").create({
        user: { ids: { userId: "late-user" }, primaryEmailAddress: "late@example.com", password: USER_PASSWORD },
        invitationToken: sent.token,
      }));
      expect([err.code, err.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver/store:invitation_expired"]);
    });
  });

  describe(`Registration by invitation only on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { USER_REGISTRATION_INVITATION_REQUIRED: "true" }); });
    afterAll(async () => { await server?.close(); });
    const create = (userId: string, invitationToken = "", token?: string) =>
      server.client(UserRegistry, "connect", token).create({
        user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: USER_PASSWORD }, invitationToken,
      });

    it("refuses self-registration without a token", async () => {
      const err = await rpcError(create("uninvited"));
      expect([err.code, err.errorName]).toEqual([Code.InvalidArgument, "pkg/identityserver:invitation_token_required"]);
    });

    it("accepts self-registration with a valid token", async () => {
      const sent = await server.client(UserInvitationRegistry, "connect", server.adminKey).send({ email: "welcome@example.com" });
      const user = await create("welcome-user", sent.token);
      expect(user.ids!.userId).toBe("welcome-user");
    });

    it("lets an admin create users without a token", async () => {
      const user = await create("made-by-admin", "", server.adminKey);
      expect(user.ids!.userId).toBe("made-by-admin");
    });
  });
}
