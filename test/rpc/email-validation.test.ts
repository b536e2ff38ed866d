// EmailValidationRegistry and the validation mails of sign-up and address changes (upstream
// pkg/identityserver/email_validation_registry.go), with EMAIL_VALIDATION_REQUIRED's rights restriction and what
// Is.GetConfiguration reports, through real clients over a real socket, on every database backend.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmailValidationRegistry } from "../../gen/ttn/lorawan/v3/email_validation_pb.js";
import { Is } from "../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { Right } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ManualClock } from "../support/clock.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";
import { USER_PASSWORD, createUserKey, registerUser } from "../support/users.js";

const HOUR = 3600_000;

/** The reference and token of the newest validation mail to `to`, from its link. */
async function validationLink(server: TestServer, to: string): Promise<{ url: URL; id: string; token: string }> {
  await server.settle();
  const mail = server.mail.filter((m) => m.to === to && m.subject.includes("confirm your e-mail")).at(-1);
  expect(mail, `a validation mail to ${to}`).toBeDefined();
  const url = new URL(/https?:\/\/\S+\/oauth\/validate\?\S+/.exec(mail!.text)![0]);
  return { url, id: url.searchParams.get("reference")!, token: url.searchParams.get("token")! };
}

for (const backend of databaseBackends()) {
  describe(`EmailValidationRegistry on ${backend.name}`, () => {
    let server: TestServer;
    const clock = new ManualClock();
    const validation = (token?: string) => server.client(EmailValidationRegistry, "connect", token);
    const users = (token?: string) => server.client(UserRegistry, "connect", token);
    const validatedAt = async (userId: string) =>
      (await users(server.adminKey).get({ userIds: { userId }, fieldMask: { paths: ["primary_email_address_validated_at"] } })).primaryEmailAddressValidatedAt;

    beforeAll(async () => {
      server = await startTestServer(backend, { ADMIN_RIGHTS_ALL: "true", EMAIL_VALIDATION_TOKEN_TTL: "48h", EMAIL_VALIDATION_RETRY_INTERVAL: "1h" }, { clock });
    });
    afterAll(async () => { await server?.close(); });

    it("mails a link on sign-up that lands on the console and validates the address once", async () => {
      await registerUser(server, "val-signup");
      const { url, id, token } = await validationLink(server, "val-signup@example.com");
      expect(url.origin).toBe(server.config.publicUrl);
      expect(await validatedAt("val-signup")).toBeUndefined();

      // The e-mailed link is a page: it redirects to the console's validation view, keeping the query.
      const landing = await fetch(`${server.baseUrl}${url.pathname}${url.search}`, { redirect: "manual" });
      expect(landing.status).toBe(302);
      expect(landing.headers.get("location")).toBe(`/console/${url.search}#/validate`);

      // The mails' footer links to the account app, which is the console here.
      const account = await fetch(`${server.baseUrl}/oauth`, { redirect: "manual" });
      expect([account.status, account.headers.get("location")]).toEqual([302, "/console/"]);

      await validation().validate({ id, token });
      expect(await validatedAt("val-signup")).toBeDefined();
      const again = await rpcError(validation().validate({ id, token }));
      expect([again.code, again.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver/store:validation_token_already_used"]);
    });

    it("refuses a wrong token and an unknown reference as not found", async () => {
      await registerUser(server, "val-wrong");
      const { id } = await validationLink(server, "val-wrong@example.com");
      for (const request of [{ id, token: "WRONG" }, { id: "nope", token: "WRONG" }]) {
        const err = await rpcError(validation().validate(request));
        expect([err.code, err.errorName]).toEqual([Code.NotFound, "pkg/identityserver/store:validation_token_not_found"]);
      }
      expect(await validatedAt("val-wrong")).toBeUndefined();
    });

    it("refuses a new mail within the retry interval, refreshes the token after it, and expires tokens", async () => {
      await registerUser(server, "val-retry");
      const key = await createUserKey(server, server.adminKey, "val-retry", [Right.USER_ALL]);
      const first = await validationLink(server, "val-retry@example.com");

      const early = await rpcError(validation(key).requestValidation({ userId: "val-retry" }));
      expect([early.code, early.errorName]).toEqual([Code.PermissionDenied, "pkg/identityserver:validation_request_forbidden"]);

      clock.advance(HOUR + 1000);
      const refreshed = await validation(key).requestValidation({ userId: "val-retry" });
      expect(refreshed.id).toBe(first.id);
      expect(refreshed.token).toBe(""); // the token travels only by mail
      expect(refreshed.address).toBe("val-retry@example.com");
      const second = await validationLink(server, "val-retry@example.com");
      expect(second.token).not.toBe(first.token);
      const stale = await rpcError(validation().validate({ id: first.id, token: first.token }));
      expect(stale.code).toBe(Code.NotFound);

      clock.advance(48 * HOUR + 1000);
      const expired = await rpcError(validation().validate({ id: second.id, token: second.token }));
      expect([expired.code, expired.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver/store:validation_token_expired"]);
      expect(await validatedAt("val-retry")).toBeUndefined();
    });

    it("needs RIGHT_USER_SETTINGS_BASIC on the user to request a mail", async () => {
      await registerUser(server, "val-rights");
      const infoOnly = await createUserKey(server, server.adminKey, "val-rights", [Right.USER_INFO]);
      for (const token of [undefined, infoOnly]) {
        const err = await rpcError(validation(token).requestValidation({ userId: "val-rights" }));
        expect([Code.PermissionDenied, Code.Unauthenticated]).toContain(err.code);
      }
    });

    it("mails the new address when a user changes it, and the old link no longer validates", async () => {
      await registerUser(server, "val-change");
      const old = await validationLink(server, "val-change@example.com");
      const key = await createUserKey(server, server.adminKey, "val-change", [Right.USER_ALL]);
      await users(key).update({ user: { ids: { userId: "val-change" }, primaryEmailAddress: "val-new@example.com" }, fieldMask: { paths: ["primary_email_address"] } });
      const fresh = await validationLink(server, "val-new@example.com");
      expect(fresh.id).not.toBe(old.id);
      expect((await rpcError(validation().validate({ id: old.id, token: old.token }))).code).toBe(Code.FailedPrecondition);
      await validation().validate({ id: fresh.id, token: fresh.token });
      const at = await validatedAt("val-change");
      expect(at && timestampDate(at).getTime()).toBe(clock.now().getTime());
    });

    it("is served on the HTTP API at upstream's paths", async () => {
      await registerUser(server, "val-http");
      const key = await createUserKey(server, server.adminKey, "val-http", [Right.USER_ALL]);
      const { id, token } = await validationLink(server, "val-http@example.com");
      const patch = await fetch(`${server.baseUrl}/api/v3/email/validation`, {
        method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ id, token }),
      });
      expect(patch.status).toBe(200);
      clock.advance(HOUR + 1000);
      // Validated now, yet upstream still lets the user ask for another mail.
      const post = await fetch(`${server.baseUrl}/api/v3/email/validation`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ user_id: "val-http" }),
      });
      expect(post.status).toBe(200);
      expect(await post.json()).toMatchObject({ address: "val-http@example.com" });
    });
  });

  describe(`EMAIL_VALIDATION_REQUIRED on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => { server = await startTestServer(backend, { EMAIL_VALIDATION_REQUIRED: "true", ADMIN_RIGHTS_ALL: "true" }); });
    afterAll(async () => { await server?.close(); });

    it("reports the setting in Is.GetConfiguration", async () => {
      const { configuration } = await server.client(Is, "connect").getConfiguration({});
      const contact = configuration!.userRegistration!.contactInfoValidation!;
      expect(contact.required).toBe(true);
      expect(Number(contact.tokenTtl!.seconds)).toBe(48 * 3600);
      expect(Number(contact.retryInterval!.seconds)).toBe(3600);
    });

    it("restricts an unvalidated user to profile, basic settings and deletion until the address is validated", async () => {
      await registerUser(server, "unval-user");
      const key = await createUserKey(server, server.adminKey, "unval-user", [Right.USER_ALL]);
      const access = server.client(UserAccess, "connect", key);
      const refused = await rpcError(access.createAPIKey({ userIds: { userId: "unval-user" }, name: "x", rights: [Right.USER_INFO] }));
      expect(refused.code).toBe(Code.PermissionDenied);
      // Still allowed: reading the profile and asking for the mail again later.
      const me = await server.client(UserRegistry, "connect", key).get({ userIds: { userId: "unval-user" }, fieldMask: { paths: ["name"] } });
      expect(me.ids?.userId).toBe("unval-user");

      const { id, token } = await validationLink(server, "unval-user@example.com");
      await server.client(EmailValidationRegistry, "connect").validate({ id, token });
      const created = await access.createAPIKey({ userIds: { userId: "unval-user" }, name: "now", rights: [Right.USER_INFO] });
      expect(created.key).toMatch(/^NNSXS\./);
    });

    it("lets an unvalidated user log in to the console (to fix the address)", async () => {
      await registerUser(server, "unval-login");
      const res = await fetch(`${server.baseUrl}/oauth/api/auth/login`, {
        method: "POST", headers: { "content-type": "application/json", origin: server.baseUrl }, body: JSON.stringify({ user_id: "unval-login", password: USER_PASSWORD }),
      });
      expect(res.status).toBe(204);
    });
  });
}
