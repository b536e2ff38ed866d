// Single sign-on at the HTTP level, as a browser does it, against a real OpenID Connect provider on loopback:
// registration and sign-in, every way a callback is refused (each with a clear page and no session), linking an
// existing account only after its password, the last-link rule, and the provider's keys cached and rotated.
import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { ExternalUserRegistry } from "../../gen/tti/lorawan/v3/external_user_pb.js";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { databaseBackends, rpcError, startTestServer, type TestServer } from "../support/server.js";
import { registerUser, USER_PASSWORD } from "../support/users.js";
import { Browser, freePort, type Answer } from "./support/browser.js";
import { OffsetClock } from "./support/clock.js";
import { startTestIdp, type TestIdp } from "./support/idp.js";

const SECRET_KEY = randomBytes(32).toString("hex");
/** corp lets unknown subjects register; closed does not; bare has no OIDC configuration. */
const PROVIDERS = [
  { providerId: "corp", name: "Corp Login", allowRegistrations: true },
  { providerId: "closed", name: "Closed Login", allowRegistrations: false },
];

interface Deployment { server: TestServer; base: string; clock: OffsetClock }

/** A server whose PUBLIC_URL names its port (the redirect URI must), with the providers registered at `idp`. */
async function deploy(backend: Parameters<typeof startTestServer>[0], idp: TestIdp, port: number, env: Record<string, string> = {}): Promise<Deployment> {
  const base = `http://127.0.0.1:${port}`;
  const clock = new OffsetClock();
  const server = await startTestServer(backend, { PORT: String(port), PUBLIC_URL: base, AUTH_PROVIDER_SECRET_KEY: SECRET_KEY, ...env }, { clock });
  const registry = server.client(AuthenticationProviderRegistry, "connect", server.adminKey);
  for (const p of PROVIDERS) {
    await registry.create({ authenticationProvider: {
      ids: { providerId: p.providerId }, name: p.name, allowRegistrations: p.allowRegistrations,
      configuration: { provider: { case: "oidc", value: { clientId: `${p.providerId}-${port}`, clientSecret: `${p.providerId}-secret`, providerUrl: idp.issuer } } },
    } });
  }
  await registry.create({ authenticationProvider: { ids: { providerId: "bare" }, name: "Bare" } });
  return { server, base, clock };
}

const idpClients = (port: number) => PROVIDERS.map((p) => ({
  clientId: `${p.providerId}-${port}`, clientSecret: `${p.providerId}-secret`, redirectUri: `http://127.0.0.1:${port}/oauth/login/${p.providerId}/callback`,
}));

const sessionCookieSet = (answer: Answer) => answer.setCookies.some((c) => c.startsWith("_session="));

/** A refusal: the status, the error's name on the page, and no session. */
function expectRefused(answer: Answer, status: number, errorName: string, message?: RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.text).toContain(`<code id="sso-error-name">${errorName}</code>`);
  if (message) expect(answer.text).toMatch(message);
  expect(sessionCookieSet(answer)).toBe(false);
}

for (const backend of databaseBackends()) {
  describe(`single sign-on on ${backend.name}`, () => {
    let idp: TestIdp;
    let open: Deployment;
    let approval: Deployment;

    beforeAll(async () => {
      const [openPort, approvalPort] = [await freePort(), await freePort()];
      // ID tokens live two minutes, so moving the service's clock five minutes ahead makes them expired.
      idp = await startTestIdp({ clients: [...idpClients(openPort), ...idpClients(approvalPort)], idTokenTtlS: 120 });
      open = await deploy(backend, idp, openPort);
      approval = await deploy(backend, idp, approvalPort, { USER_REGISTRATION_ADMIN_APPROVAL_REQUIRED: "true" });
    });
    afterEach(() => {
      idp.tampering = undefined;
      open.clock.reset();
    });
    afterAll(async () => {
      await open?.server.close();
      await approval?.server.close();
      await idp?.close();
    });

    /** Leaves the service for the provider's authorization URL. */
    async function startAt(b: Browser, d: Deployment = open, providerId = "corp"): Promise<string> {
      const started = await b.request(`${d.base}/oauth/login/${providerId}`);
      expect(started.status, started.text).toBe(303);
      expect(started.location.startsWith(idp.issuer)).toBe(true);
      return started.location;
    }
    /** The whole round trip; returns the service's answer to the provider's redirect. */
    async function signIn(b: Browser, account: string, d: Deployment = open, providerId = "corp"): Promise<Answer> {
      return b.request(await b.signInAtProvider(await startAt(b, d, providerId), account));
    }
    const me = (b: Browser, d: Deployment = open) => b.request(`${d.base}/oauth/api/me`);
    const userIdOf = async (b: Browser) => (JSON.parse((await me(b)).text) as { user: { ids: { user_id: string } } }).user.ids.user_id;
    const links = () => open.server.client(ExternalUserRegistry, "connect", open.server.adminKey);

    it("registers an unknown subject with a derived user ID, links it, starts a session; later sign-ins find the same user", async () => {
      idp.accounts.set("sub-alice", { email: "alice@corp.example", email_verified: true, preferred_username: "Alice.Smith", name: "Alice Smith" });
      const b = new Browser();
      const back = await signIn(b, "sub-alice");
      expect([back.status, back.location]).toEqual([303, `${open.base}/console/`]);
      expect(sessionCookieSet(back)).toBe(true);
      expect(await userIdOf(b)).toBe("alice-smith");
      // The console learns from `me` that this user's password lives at the provider.
      expect(JSON.parse((await me(b)).text).external_providers).toEqual([{ provider_id: "corp", name: "Corp Login" }]);
      const link = await links().getByExternalID({ providerIds: { providerId: "corp" }, externalId: "sub-alice" });
      expect(link.userIds?.userId).toBe("alice-smith");
      const user = await open.server.client(UserRegistry, "connect", open.server.adminKey).get({
        userIds: { userId: "alice-smith" }, fieldMask: { paths: ["primary_email_address", "primary_email_address_validated_at", "state", "admin"] },
      });
      expect([user.primaryEmailAddress, Boolean(user.primaryEmailAddressValidatedAt), user.state, user.admin]).toEqual(["alice@corp.example", true, State.APPROVED, false]);

      // Another browser, a renamed account at the provider: the same user, with the provider's name.
      idp.accounts.set("sub-alice", { ...idp.accounts.get("sub-alice"), name: "Alice Smith-Jones" });
      const again = new Browser();
      expect((await signIn(again, "sub-alice")).status).toBe(303);
      const body = JSON.parse((await me(again)).text) as { user: { ids: { user_id: string }; name: string } };
      expect([body.user.ids.user_id, body.user.name]).toEqual(["alice-smith", "Alice Smith-Jones"]);

      // A second subject wanting the same name gets the provider-suffixed ID; a reserved name falls back to the e-mail.
      idp.accounts.set("sub-alice-2", { email: "alice.smith@other.example", email_verified: true, preferred_username: "alice_smith" });
      const second = new Browser();
      await signIn(second, "sub-alice-2");
      expect(await userIdOf(second)).toBe("alice-smith-corp");
      idp.accounts.set("sub-root", { email: "Jane.Root@corp.example", email_verified: true, preferred_username: "admin" });
      const third = new Browser();
      await signIn(third, "sub-root");
      expect(await userIdOf(third)).toBe("jane-root");
    });

    it("lists the providers a browser can sign in with, without their secrets", async () => {
      const res = await fetch(`${open.base}/oauth/api/auth/providers`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ providers: [
        { provider_id: "closed", name: "Closed Login", login_url: "/oauth/login/closed" },
        { provider_id: "corp", name: "Corp Login", login_url: "/oauth/login/corp" },
      ] });
      expect(text).not.toContain("secret");
    });

    it("refuses a callback with a wrong state, or one that is replayed or arrives in another browser", async () => {
      idp.accounts.set("sub-state", { email: "state@corp.example", email_verified: true });
      const b = new Browser();
      const callback = new URL(await b.signInAtProvider(await startAt(b), "sub-state"));
      const forged = new URL(callback);
      forged.searchParams.set("state", "forged-state");
      expectRefused(await b.request(forged.href), 403, "pkg/account/oidc:invalid_state", /started in another browser/);
      // The real callback URL, stolen into another browser: refused there, and spent.
      expectRefused(await new Browser().request(callback.href), 403, "pkg/account/oidc:invalid_state");
      expectRefused(await b.request(callback.href), 403, "pkg/account/oidc:invalid_state");
      expect((await me(b)).status).toBe(401);
    });

    it("refuses a replayed authorization code, however it is presented", async () => {
      idp.accounts.set("sub-replay", { email: "replay@corp.example", email_verified: true });
      const b = new Browser();
      const callback = new URL(await b.signInAtProvider(await startAt(b), "sub-replay"));
      expect((await b.request(callback.href)).status).toBe(303);
      // The same URL again: its state was used up by the first visit.
      const replay = new Browser();
      replay.jar(open.base).set("_sso_state", b.cookie(open.base, "_sso_state")!);
      expectRefused(await replay.request(callback.href), 403, "pkg/account/oidc:invalid_state");
      // The spent code under a fresh sign-in's state: the provider refuses it (and its PKCE check would too).
      const fresh = new URL(await startAt(replay));
      const injected = new URL(callback);
      injected.searchParams.set("state", fresh.searchParams.get("state")!);
      expectRefused(await replay.request(injected.href), 401, "pkg/account/oidc:code_exchange");
      expect((await me(replay)).status).toBe(401);
    });

    it("refuses an ID token with another sign-in's nonce", async () => {
      idp.accounts.set("sub-nonce", { email: "nonce@corp.example", email_verified: true });
      idp.tampering = { kind: "nonce" };
      const answer = await signIn(new Browser(), "sub-nonce");
      expectRefused(answer, 401, "pkg/account/oidc:invalid_id_token", /nonce does not match/);
    });

    it("refuses an ID token signed with a key the provider does not publish", async () => {
      idp.accounts.set("sub-forged", { email: "forged@corp.example", email_verified: true });
      idp.tampering = { kind: "foreign-key" };
      const answer = await signIn(new Browser(), "sub-forged");
      expectRefused(answer, 401, "pkg/account/oidc:invalid_id_token", /signature does not verify/);
      await expect(rpcError(links().getByExternalID({ providerIds: { providerId: "corp" }, externalId: "sub-forged" }))).resolves.toMatchObject({ code: Code.NotFound });
    });

    it("refuses an expired ID token (the service's clock has moved past it)", async () => {
      idp.accounts.set("sub-late", { email: "late@corp.example", email_verified: true });
      const b = new Browser();
      const callback = await b.signInAtProvider(await startAt(b), "sub-late");
      open.clock.advance(5 * 60_000); // within the ten minutes a sign-in may take, past the token's two
      expectRefused(await b.request(callback), 401, "pkg/account/oidc:invalid_id_token", /expired/);
    });

    it("refuses an unknown provider, and one without an OIDC configuration", async () => {
      const b = new Browser();
      expectRefused(await b.request(`${open.base}/oauth/login/nope`), 404, "pkg/identityserver/store:authentication_provider_not_found");
      expectRefused(await b.request(`${open.base}/oauth/login/nope/callback?code=x&state=y`), 404, "pkg/identityserver/store:authentication_provider_not_found");
      expectRefused(await b.request(`${open.base}/oauth/login/bare`), 400, "pkg/account/oidc:provider_disabled");
      expectRefused(await b.request(`${open.base}/oauth/login/corp/elsewhere`), 404, "pkg/identityserver/store:entity_not_found");
    });

    it("refuses when the user denies access at the provider", async () => {
      idp.accounts.set("sub-deny", { email: "deny@corp.example", email_verified: true });
      const b = new Browser();
      const back = await b.signInAtProvider(await startAt(b), "sub-deny", { deny: true });
      expectRefused(await b.request(back), 401, "pkg/account/oidc:provider_error", /access_denied/);
    });

    it("refuses to register through a provider without registrations, and an unverified e-mail address", async () => {
      idp.accounts.set("sub-outsider", { email: "outsider@corp.example", email_verified: true, preferred_username: "outsider" });
      expectRefused(await signIn(new Browser(), "sub-outsider", open, "closed"), 400, "pkg/account/oidc:registrations_disabled", /does not allow registrations/);
      idp.accounts.set("sub-unverified", { email: "unverified@corp.example", email_verified: false, preferred_username: "unverified" });
      expectRefused(await signIn(new Browser(), "sub-unverified"), 403, "pkg/account/oidc:unverified_email");
      const users = open.server.client(UserRegistry, "connect", open.server.adminKey);
      for (const userId of ["outsider", "unverified"]) {
        expect((await rpcError(users.get({ userIds: { userId } }))).code).toBe(Code.NotFound);
      }
    });

    it("links an existing account with the same verified e-mail address only after its password", async () => {
      await registerUser(open.server, "local-bob"); // local-bob@example.com, USER_PASSWORD
      idp.accounts.set("sub-bob", { email: "Local-Bob@example.com", email_verified: true, preferred_username: "bob" });
      const b = new Browser();
      const back = await signIn(b, "sub-bob");
      expect([back.status, back.location]).toEqual([303, `${open.base}/console/#/link-account`]);
      expect(sessionCookieSet(back)).toBe(false);
      expect((await me(b)).status).toBe(401);
      const pending = await b.request(`${open.base}/oauth/api/auth/provider-link`);
      expect(JSON.parse(pending.text)).toEqual({ provider_id: "corp", provider_name: "Corp Login", user_id: "local-bob", email: "local-bob@example.com" });
      const notLinked = () => rpcError(links().getByExternalID({ providerIds: { providerId: "corp" }, externalId: "sub-bob" }));
      expect((await notLinked()).code).toBe(Code.NotFound);

      const confirm = (browser: Browser, password: string, headers: Record<string, string> = {}) =>
        browser.request(`${open.base}/oauth/api/auth/provider-link`, { form: { password }, headers });
      const wrong = await confirm(b, "Wrong-Passw0rd");
      expect([wrong.status, wrong.text, sessionCookieSet(wrong)]).toEqual([400, expect.stringContaining("no_user_id_password_match"), false]);
      const crossSite = await confirm(b, USER_PASSWORD, { origin: "https://evil.example" });
      expect([crossSite.status, crossSite.text]).toEqual([403, expect.stringContaining("invalid_csrf_token")]);
      const elsewhere = await confirm(new Browser(), USER_PASSWORD);
      expect([elsewhere.status, elsewhere.text]).toEqual([404, expect.stringContaining("no_pending_link")]);
      expect((await notLinked()).code).toBe(Code.NotFound);

      const right = await confirm(b, USER_PASSWORD);
      expect([right.status, sessionCookieSet(right)]).toEqual([204, true]);
      expect(await userIdOf(b)).toBe("local-bob");
      expect((await links().getByExternalID({ providerIds: { providerId: "corp" }, externalId: "sub-bob" })).userIds?.userId).toBe("local-bob");
      expect((await confirm(b, USER_PASSWORD)).status).toBe(404); // used once

      // From now on the provider alone signs bob in.
      const later = new Browser();
      expect((await signIn(later, "sub-bob")).location).toBe(`${open.base}/console/`);
      expect(await userIdOf(later)).toBe("local-bob");
    });

    it("refuses to unlink the last provider of a user who has no password, and unlinks one who has", async () => {
      idp.accounts.set("sub-carol", { email: "carol@corp.example", email_verified: true, preferred_username: "carol-sso" });
      expect((await signIn(new Browser(), "sub-carol")).status).toBe(303);
      const err = await rpcError(links().delete({ providerIds: { providerId: "corp" }, externalId: "sub-carol" }));
      expect([err.code, err.errorName]).toEqual([Code.FailedPrecondition, "pkg/identityserver:last_external_user"]);
      expect((await links().getByExternalID({ providerIds: { providerId: "corp" }, externalId: "sub-carol" })).userIds?.userId).toBe("carol-sso");

      await registerUser(open.server, "local-dave");
      await links().create({ externalUser: { userIds: { userId: "local-dave" }, providerIds: { providerId: "corp" }, externalId: "sub-dave" } });
      await links().delete({ providerIds: { providerId: "corp" }, externalId: "sub-dave" });
    });

    it("keeps the provider's keys cached, and fetches them again when a token names a new key", async () => {
      idp.accounts.set("sub-keys", { email: "keys@corp.example", email_verified: true });
      expect((await signIn(new Browser(), "sub-keys")).status).toBe(303);
      const fetched = idp.jwksFetches;
      expect((await signIn(new Browser(), "sub-keys")).status).toBe(303);
      expect(idp.jwksFetches).toBe(fetched);

      // The provider rotates to a new key. Within a minute of the last fetch the cache is trusted (and the token
      // refused); after that, an unknown key ID sends the service to the JWKS again.
      idp.tampering = { kind: "rotated" };
      expectRefused(await signIn(new Browser(), "sub-keys"), 401, "pkg/account/oidc:invalid_id_token", /key the provider does not publish/);
      open.clock.advance(61_000);
      const b = new Browser();
      expect((await signIn(b, "sub-keys")).status).toBe(303);
      expect(idp.jwksFetches).toBe(fetched + 1);
      expect((await me(b)).status).toBe(200);
    });

    it("registers under admin approval as a requested user who gets no session yet", async () => {
      idp.accounts.set("sub-erin", { email: "erin@corp.example", email_verified: true, preferred_username: "erin" });
      const answer = await signIn(new Browser(), "sub-erin", approval);
      expectRefused(answer, 403, "pkg/identityserver:user_requested", /not been approved/);
      const user = await approval.server.client(UserRegistry, "connect", approval.server.adminKey).get({
        userIds: { userId: "erin" }, fieldMask: { paths: ["state"] },
      });
      expect(user.state).toBe(State.REQUESTED);
    });
  });
}

describe("single sign-on starts per client address", () => {
  let idp: TestIdp;
  let limited: Deployment;
  beforeAll(async () => {
    const port = await freePort();
    idp = await startTestIdp({ clients: idpClients(port) });
    limited = await deploy(databaseBackends()[0]!, idp, port, { SSO_LOGIN_RATE_LIMIT_PER_ADDRESS: "2" });
  });
  afterAll(async () => {
    await limited?.server.close();
    await idp?.close();
  });

  it("refuses starts over the allowance with rate_limit_exceeded, before anything is stored", async () => {
    const b = new Browser();
    for (let i = 0; i < 2; i++) expect((await b.request(`${limited.base}/oauth/login/corp`)).status).toBe(303);
    expectRefused(await b.request(`${limited.base}/oauth/login/corp`), 429, "pkg/ratelimit:rate_limit_exceeded");
    // Another browser from the same address is the same client to the limit, whichever provider it picks.
    expectRefused(await new Browser().request(`${limited.base}/oauth/login/closed`), 429, "pkg/ratelimit:rate_limit_exceeded");
  });
});
