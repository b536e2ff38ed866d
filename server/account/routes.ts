// The account app's JSON API, same paths and bodies as upstream's `/oauth/api/*`: password and token login start
// a session and set its cookie, logout ends it, `me` describes it. Beyond upstream, for the console: `sessions`
// lists the user's sessions with browser and address, `sessions/end-others` ends all but this one, and
// `admin/state-history` shows an admin a user's state changes. Cookie and origin policy: browser-login.ts.
import type http from "node:http";
import type http2 from "node:http2";
import { setImmediate as nextTurn } from "node:timers/promises";
import { toJson } from "@bufbuild/protobuf";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { clearedSessionCookie, endSession, parseCookieValue, readCookie, SESSION_COOKIE, verifySession } from "../auth/sessions.js";
import * as errors from "../domain/error-catalog.js";
import { isServiceError } from "../domain/errors.js";
import { isValidUserId } from "../domain/identifiers.js";
import { digestSecret } from "../domain/tokens.js";
import { userReadMask } from "../domain/user-paths.js";
import type { ServiceDeps } from "../services/context.js";
import { publicOnly, toUserMessage, userMessageOptions } from "../services/user-messages.js";
import { linkedProviders } from "../store/external-users.js";
import * as sessions from "../store/sessions.js";
import { listStateChanges } from "../store/user-state-changes.js";
import { findUser } from "../store/users.js";
import { readFields } from "./body.js";
import { browserLogin, stateError } from "./browser-login.js";
import { sendError, sendJson } from "./http-errors.js";
import { requestIdOf, requestLogger } from "../ops/request-id.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export const ACCOUNT_API_PREFIX = "/oauth/api/";

/** What `/me` shows: the public-safe user (upstream PublicSafe). */
const ME_PATHS = userReadMask(["ids", "created_at", "updated_at", "contact_info", "name", "description", "state", "admin", "profile_picture"]);

export function accountHandler(deps: ServiceDeps): (req: Req, res: Res) => void {
  const { db, config, logger } = deps;
  const messageOptions = userMessageOptions(config);

  const browser = browserLogin(deps);
  const { secureCookie, checkOrigin } = browser;
  const log = (req: Req) => requestLogger(logger, requestIdOf(req));

  async function begin(req: Req, res: Res, userInternalId: string): Promise<void> {
    res.setHeader("set-cookie", await browser.startBrowserSession(req, userInternalId));
    res.statusCode = 204;
    res.end();
  }

  /** The session of the cookie; any failure is `not_authenticated` (401) and the cookie is removed. */
  async function currentSession(req: Req, res: Res): Promise<sessions.SessionForAuth> {
    const value = readCookie(req.headers.cookie, SESSION_COOKIE);
    const parsed = value ? parseCookieValue(value) : undefined;
    if (!parsed) throw errors.notAuthenticated();
    try {
      return (await verifySession(deps.credentials, parsed.id, parsed.secret, config.sessions, deps.clock.now())).row;
    } catch (err) {
      if (!isServiceError(err)) throw err;
      res.setHeader("set-cookie", clearedSessionCookie(secureCookie(req)));
      const cause = errors.tokenExpired.is(err) ? errors.sessionExpired() : err;
      throw errors.notAuthenticated({}, { cause });
    }
  }

  async function login(req: Req, res: Res): Promise<void> {
    const fields = await readFields(req);
    const userId = (fields.user_id ?? "").trim();
    const password = fields.password ?? "";
    if (!userId) throw errors.missingUserId();
    if (!password) throw errors.missingPassword();
    if (!isValidUserId(userId)) throw errors.validation({ field: "user_id", reason: "does not match the ID pattern" });

    // On the embedded database a login's queries run on this thread, each in one piece with the work around it.
    // Calls that arrived meanwhile go first, before the password check and again before the session is written,
    // so a storm of logins holds them up in smaller pieces.
    await nextTurn();
    const user = await browser.verifyUserPassword(req, userId, password);
    await nextTurn();
    const row = await findUser(db, userId);
    if (!row) throw errors.noUserIdPasswordMatch(); // deleted meanwhile
    const blocked = stateError(row);
    if (blocked) throw blocked;
    await begin(req, res, user.id);
    log(req).info({ user_id: userId }, "user logged in");
  }

  async function tokenLogin(req: Req, res: Res): Promise<void> {
    const fields = await readFields(req);
    const token = (fields.token ?? "").trim();
    if (!token) throw errors.missingToken();
    const outcome = await sessions.consumeLoginToken(db, digestSecret(token), deps.clock.now());
    if ("failure" in outcome) {
      if (outcome.failure === "expired") throw errors.loginTokenExpired();
      if (outcome.failure === "used") throw errors.loginTokenAlreadyUsed();
      throw errors.loginTokenNotFound();
    }
    const owner = await sessions.findSessionOwner(db, outcome.userId);
    if (!owner || owner.deletedAt) throw errors.loginTokenNotFound();
    const blocked = stateError(owner);
    if (blocked) throw blocked;
    await begin(req, res, owner.id);
    log(req).info({ user_id: owner.userId }, "user logged in with a login token");
  }

  async function logout(req: Req, res: Res): Promise<void> {
    const session = await currentSession(req, res);
    await endSession(db, session.user!.id, session.id);
    res.setHeader("set-cookie", clearedSessionCookie(secureCookie(req)));
    res.statusCode = 204;
    res.end();
    log(req).info({ user_id: session.user!.userId }, "user logged out");
  }

  async function me(req: Req, res: Res): Promise<void> {
    const session = await currentSession(req, res);
    const row = await findUser(db, session.user!.userId);
    if (!row) throw errors.notAuthenticated({}, { cause: errors.tokenNotFound() });
    const user = publicOnly(toUserMessage(row, ME_PATHS, messageOptions));
    sendJson(res, 200, {
      user: toJson(UserSchema, user, { useProtoFieldName: true }),
      logged_in_at: session.createdAt.toISOString(),
      session_id: session.id,
      // Beyond upstream, for the console: the single sign-on providers the user is linked to, whose users have no
      // password here (UpdatePassword and CreateTemporaryPassword refuse them).
      external_providers: (await linkedProviders(db, row.id)).map((p) => ({ provider_id: p.providerId, name: p.name })),
    });
  }

  /** The user's own sessions with browser and address (not in upstream's UserSession message), for the console. */
  async function listSessions(req: Req, res: Res): Promise<void> {
    const session = await currentSession(req, res);
    const rows = await sessions.listSessionDetails(db, session.user!.id);
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    sendJson(res, 200, {
      sessions: rows.map((r) => ({
        session_id: r.id, created_at: iso(r.createdAt), last_seen_at: iso(r.lastSeenAt), expires_at: iso(r.expiresAt),
        user_agent: r.userAgent ?? "", client_address: r.clientAddress ?? "", current: r.id === session.id,
      })),
    });
  }

  /** "Sign out all other sessions": ends every session of the user but this one. */
  async function endOtherSessions(req: Req, res: Res): Promise<void> {
    const session = await currentSession(req, res);
    const ended = await sessions.deleteOtherSessions(db, session.user!.id, session.id);
    log(req).info({ user_id: session.user!.userId, ended }, "user ended their other sessions");
    sendJson(res, 200, { ended });
  }

  /** An admin's view of a user's state history (`?user_id=…`), for the console's user page. */
  async function stateHistory(req: Req, res: Res): Promise<void> {
    const session = await currentSession(req, res);
    if (!session.user!.admin || session.user!.state !== State.APPROVED) throw errors.permissionDenied();
    const userId = new URL(req.url ?? "/", "http://x").searchParams.get("user_id") ?? "";
    const row = isValidUserId(userId) ? await findUser(db, userId, "any") : null;
    if (!row) throw errors.userNotFound({ user_id: userId.slice(0, 36) });
    const changes = await listStateChanges(db, row.id);
    sendJson(res, 200, {
      changes: changes.map((c) => ({
        state: State[c.state] ? `STATE_${State[c.state]}` : String(c.state), state_description: c.stateDescription,
        changed_by: c.changedBy, created_at: c.createdAt.toISOString(),
      })),
    });
  }

  const routes: Record<string, { method: string; run: (req: Req, res: Res) => Promise<void> }> = {
    "auth/login": { method: "POST", run: login },
    "auth/token-login": { method: "POST", run: tokenLogin },
    "auth/logout": { method: "POST", run: logout },
    me: { method: "GET", run: me },
    sessions: { method: "GET", run: listSessions },
    "sessions/end-others": { method: "POST", run: endOtherSessions },
    "admin/state-history": { method: "GET", run: stateHistory },
  };

  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname.slice(ACCOUNT_API_PREFIX.length).replace(/\/+$/, "");
    const route = routes[path];
    const work = async () => {
      if (!route || (req.method !== route.method && !(route.method === "GET" && req.method === "HEAD"))) {
        throw errors.entityNotFound({ entity_type: "route", entity_id: `${req.method} ${ACCOUNT_API_PREFIX}${path}` });
      }
      // Every route, login included (login CSRF would sign a victim into the attacker's account).
      checkOrigin(req);
      await route.run(req, res);
    };
    work().catch((err: unknown) => {
      if (res.headersSent) {
        log(req).error({ err }, "account app failed after responding");
        return;
      }
      sendError(res, err, log(req));
    });
  };
}
