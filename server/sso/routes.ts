// Single sign-on over HTTP, at upstream's enterprise paths:
//   GET  /oauth/login/<provider_id>            starts: redirect to the provider (PKCE, state, nonce)
//   GET  /oauth/login/<provider_id>/callback   the provider's redirect back: session and console, or an error page
//   GET  /oauth/api/auth/providers             the providers a browser can sign in with (for the login page)
//   GET  /oauth/api/auth/provider-link         the account a pending link waits to join (for the console's page)
//   POST /oauth/api/auth/provider-link         the account's password: links the identity and starts a session
import * as oidc from "openid-client";
import { readFields } from "../account/body.js";
import { browserLogin, stateError } from "../account/browser-login.js";
import { sendError, sendJson } from "../account/http-errors.js";
import { readCookie } from "../auth/sessions.js";
import * as errors from "../domain/error-catalog.js";
import { ENTITY_ID_PATTERN, MAX_ID_LENGTH } from "../domain/identifiers.js";
import { digestSecret, randomKey, secretMatches } from "../domain/tokens.js";
import type { ServiceDeps } from "../services/context.js";
import { findProvider, isLoginProvider, listLoginProviders, type ProviderConfiguration, type ProviderRow } from "../store/authentication-providers.js";
import { isUniqueViolation, isUuid } from "../store/db.js";
import { createExternalUser } from "../store/external-users.js";
import { createSsoLogin, deletePendingLink, findPendingLink, sweepExpiredSso, takeSsoLogin } from "../store/sso.js";
import { findUser } from "../store/users.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../transport/http-route.js";
import { sendErrorPage } from "./error-page.js";
import { OidcClients, type OidcProvider } from "./oidc-client.js";
import { ProviderSecrets } from "./provider-secrets.js";
import { signIn } from "./sign-in.js";
import { requestIdOf, requestLogger } from "../ops/request-id.js";

const SSO_LOGIN_PREFIX = "/oauth/login/";
const SSO_PROVIDERS_PATH = "/oauth/api/auth/providers";
const SSO_LINK_PATH = "/oauth/api/auth/provider-link";
/** Where a browser goes after signing in, unless the login asked for another console page. */
const CONSOLE_HOME = "/console/";
/** The console page that asks for the password of the account a pending link joins. */
const LINK_ACCOUNT_PAGE = "/console/#/link-account";

/** Binds a login to the browser that started it, so a stolen or planted callback URL is useless elsewhere. */
const STATE_COOKIE = "_sso_state";
const LINK_COOKIE = "_sso_link";
/** Time from leaving for the provider to coming back: long enough to sign in there, short enough to be stale soon. */
const LOGIN_TTL_MS = 10 * 60_000;

const loginUrlOf = (providerId: string) => `${SSO_LOGIN_PREFIX}${providerId}`;

export function ssoRoute(deps: ServiceDeps): HttpRoute {
  const { db, config, logger } = deps;
  const browser = browserLogin(deps);
  const secrets = new ProviderSecrets(config.authProviderSecretKey);
  const clients = new OidcClients(deps.clock, logger);
  const log = (req: HttpRequest) => requestLogger(logger, requestIdOf(req));
  const redirectUri = (providerId: string) => `${config.publicUrl}${SSO_LOGIN_PREFIX}${providerId}/callback`;

  const cookie = (req: HttpRequest, name: string, value: string, path: string, maxAgeS: number) =>
    `${name}=${value}; Path=${path}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${browser.secureCookie(req) ? "; Secure" : ""}`;

  function redirect(res: HttpResponse, location: string, cookies: string[] = []): void {
    res.statusCode = 303;
    res.setHeader("location", location);
    res.setHeader("cache-control", "no-store");
    // The provider's URL carries state and nonce, the console's URL nothing secret; neither needs a Referer.
    res.setHeader("referrer-policy", "no-referrer");
    if (cookies.length) res.setHeader("set-cookie", cookies);
    res.end();
  }

  /** The provider a browser may sign in with, its client secret opened. */
  async function loginProvider(providerId: string): Promise<{ row: ProviderRow; client: OidcProvider }> {
    const row = ENTITY_ID_PATTERN.test(providerId) && providerId.length <= MAX_ID_LENGTH ? await findProvider(db, providerId) : null;
    if (!row) throw errors.authenticationProviderNotFound({ provider_id: providerId });
    if (!isLoginProvider(row)) throw errors.ssoProviderDisabled({ provider_id: providerId });
    const settings = (row.configuration as ProviderConfiguration).oidc!;
    return {
      row,
      client: {
        internalId: row.id, providerId, providerUrl: settings.providerUrl, clientId: settings.clientId,
        clientSecret: secrets.open(providerId, settings.clientSecret), updatedAt: row.updatedAt,
      },
    };
  }

  async function start(req: HttpRequest, res: HttpResponse, providerId: string, query: URLSearchParams): Promise<void> {
    // Counted before anything is looked up or stored: each start leaves a pending login row for ten minutes.
    await deps.limits.ssoLogins.require(browser.clientAddress(req));
    const { row, client } = await loginProvider(providerId);
    const now = deps.clock.now();
    await sweepExpiredSso(db, now);
    // One binding per browser, shared by logins started in several tabs.
    const known = readCookie(req.headers.cookie, STATE_COOKIE);
    const binding = known && /^[A-Z2-7]{52}$/.test(known) ? known : randomKey();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const target = await clients.authorizationUrl(client, { redirectUri: redirectUri(providerId), state, nonce, codeVerifier });
    const next = query.get("next") ?? "";
    await createSsoLogin(db, {
      stateHash: digestSecret(state), bindingHash: digestSecret(binding), providerId: row.id, nonce, codeVerifier,
      // Only console pages, so the login cannot be turned into an open redirect.
      next: next.startsWith(CONSOLE_HOME) && !/[\\\s]/.test(next) ? next : "",
      createdAt: now, expiresAt: new Date(now.getTime() + LOGIN_TTL_MS),
    });
    redirect(res, target.href, [cookie(req, STATE_COOKIE, binding, SSO_LOGIN_PREFIX, LOGIN_TTL_MS / 1000)]);
  }

  async function callback(req: HttpRequest, res: HttpResponse, providerId: string, query: URLSearchParams): Promise<void> {
    const { row, client } = await loginProvider(providerId);
    const state = query.get("state") ?? "";
    const binding = readCookie(req.headers.cookie, STATE_COOKIE) ?? "";
    // Taken out whatever follows: a state (and the code that came with it) is good for one try only.
    const login = state ? await takeSsoLogin(db, digestSecret(state)) : undefined;
    const valid = login && login.providerId === row.id && login.expiresAt > deps.clock.now() && secretMatches(login.bindingHash, binding);
    if (!valid) throw errors.ssoInvalidState();
    const callbackUrl = new URL(redirectUri(providerId));
    callbackUrl.search = query.toString();
    const identity = await clients.completeLogin(client, callbackUrl, { state, nonce: login.nonce, codeVerifier: login.codeVerifier });
    const outcome = await signIn({ ...deps, logger: log(req) }, { internalId: row.id, providerId, allowRegistrations: row.allowRegistrations }, identity);
    if (outcome.kind === "pending-link") {
      redirect(res, LINK_ACCOUNT_PAGE, [cookie(req, LINK_COOKIE, outcome.cookieValue, SSO_LINK_PATH, 15 * 60)]);
      return;
    }
    // Registered or not, only approved users get a session (a registration may wait for an admin).
    const blocked = stateError(outcome.user);
    if (blocked) throw blocked;
    redirect(res, login.next || CONSOLE_HOME, [await browser.startBrowserSession(req, outcome.user.id)]);
    log(req).info({ user_id: outcome.user.userId, provider_id: providerId }, "user logged in through single sign-on");
  }

  async function listProviders(res: HttpResponse): Promise<void> {
    const rows = await listLoginProviders(db);
    sendJson(res, 200, {
      providers: rows.map((r) => ({ provider_id: r.providerId, name: r.name || r.providerId, login_url: loginUrlOf(r.providerId) })),
    });
  }

  /** The pending link of this browser's cookie, or `no_pending_link`. */
  async function pendingLink(req: HttpRequest) {
    const [id = "", secret = ""] = (readCookie(req.headers.cookie, LINK_COOKIE) ?? "").split(".");
    const pending = isUuid(id) ? await findPendingLink(db, id) : null;
    if (!pending || !secretMatches(pending.secretHash, secret) || pending.expiresAt <= deps.clock.now() || pending.user.deletedAt) {
      throw errors.ssoNoPendingLink();
    }
    return pending;
  }

  async function describeLink(req: HttpRequest, res: HttpResponse): Promise<void> {
    const pending = await pendingLink(req);
    sendJson(res, 200, {
      provider_id: pending.provider.providerId,
      provider_name: pending.provider.name || pending.provider.providerId,
      user_id: pending.user.userId,
      email: pending.user.primaryEmailAddress,
    });
  }

  async function confirmLink(req: HttpRequest, res: HttpResponse): Promise<void> {
    browser.checkOrigin(req);
    const pending = await pendingLink(req);
    const password = (await readFields(req)).password ?? "";
    if (!password) throw errors.missingPassword();
    const user = await browser.verifyUserPassword(req, pending.user.userId, password);
    try {
      await db.$transaction(async (tx) => {
        if (!(await deletePendingLink(tx, pending.id))) throw errors.ssoNoPendingLink();
        await createExternalUser(tx, { userId: user.id, providerId: pending.provider.id, externalId: pending.externalId });
      });
    } catch (err) {
      // Linked meanwhile: to this identity by another request, or to another identity at the same provider.
      if (isUniqueViolation(err)) throw errors.alreadyExists();
      throw err;
    }
    log(req).info({ user_id: user.userId, provider_id: pending.provider.providerId }, "external user linked after the account password");
    const row = await findUser(db, user.userId);
    if (!row) throw errors.ssoNoPendingLink(); // deleted meanwhile
    const blocked = stateError(row);
    if (blocked) throw blocked;
    const cleared = `${LINK_COOKIE}=; Path=${SSO_LINK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${browser.secureCookie(req) ? "; Secure" : ""}`;
    res.setHeader("set-cookie", [await browser.startBrowserSession(req, user.id), cleared]);
    res.statusCode = 204;
    res.end();
    log(req).info({ user_id: user.userId }, "user logged in through single sign-on");
  }

  /** Runs a handler; failures become the error page (browser navigations) or the account app's JSON error. */
  const run = (req: HttpRequest, res: HttpResponse, page: boolean, work: () => Promise<void>) => {
    work().catch((err: unknown) => {
      if (res.headersSent) {
        log(req).error({ err }, "single sign-on failed after responding");
        return;
      }
      if (page) sendErrorPage(res, err, log(req));
      else sendError(res, err, log(req));
    });
  };

  return (req, res) => {
    // Every request passes here: most are RPCs, told apart without parsing a URL (whose normalisation, e.g. of
    // `..` or `\`, can only lead to a path under /oauth/ if the word is in the raw target).
    if (!req.url?.includes("oauth")) return false;
    const url = new URL(req.url, "http://x");
    const path = url.pathname;
    const get = req.method === "GET" || req.method === "HEAD";
    if (path === SSO_PROVIDERS_PATH && get) {
      run(req, res, false, () => listProviders(res));
      return true;
    }
    if (path === SSO_LINK_PATH && (get || req.method === "POST")) {
      run(req, res, false, () => (get ? describeLink(req, res) : confirmLink(req, res)));
      return true;
    }
    if (!path.startsWith(SSO_LOGIN_PREFIX)) return false;
    const [providerId = "", step, ...rest] = path.slice(SSO_LOGIN_PREFIX.length).split("/");
    run(req, res, true, async () => {
      if (!get || rest.length || (step !== undefined && step !== "callback")) {
        throw errors.entityNotFound({ entity_type: "route", entity_id: `${req.method} ${path.slice(0, 100)}` });
      }
      await (step === "callback" ? callback(req, res, providerId, url.searchParams) : start(req, res, providerId, url.searchParams));
    });
    return true;
  };
}
