// The account app's JSON API, same paths and bodies as upstream's `/oauth/api/*`: password and
// token login start a session and set its cookie, logout ends it, `me` describes it.
import type http from "node:http";
import type http2 from "node:http2";
import { toJson } from "@bufbuild/protobuf";
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { clearedSessionCookie, endSession, parseCookieValue, readCookie, SESSION_COOKIE, verifySession } from "../auth/sessions.js";
import * as errors from "../domain/error-catalog.js";
import { isServiceError } from "../domain/errors.js";
import { isValidUserId } from "../domain/identifiers.js";
import { digestSecret } from "../domain/tokens.js";
import { userReadMask } from "../domain/user-paths.js";
import type { ServiceDeps } from "../services/context.js";
import { publicOnly, toUserMessage, userMessageOptions } from "../services/user-messages.js";
import * as sessions from "../store/sessions.js";
import { findUser } from "../store/users.js";
import { readFields } from "./body.js";
import { browserLogin, stateError } from "./browser-login.js";
import { sendError, sendJson } from "./http-errors.js";

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

    const user = await browser.verifyUserPassword(req, userId, password);
    const row = await findUser(db, userId);
    if (!row) throw errors.noUserIdPasswordMatch(); // deleted meanwhile
    const blocked = stateError(row);
    if (blocked) throw blocked;
    await begin(req, res, user.id);
    logger.info({ user_id: userId }, "user logged in");
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
    logger.info({ user_id: owner.userId }, "user logged in with a login token");
  }

  async function logout(req: Req, res: Res): Promise<void> {
    const session = await currentSession(req, res);
    await endSession(db, session.user!.id, session.id);
    res.setHeader("set-cookie", clearedSessionCookie(secureCookie(req)));
    res.statusCode = 204;
    res.end();
    logger.info({ user_id: session.user!.userId }, "user logged out");
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
    });
  }

  const routes: Record<string, { method: string; run: (req: Req, res: Res) => Promise<void> }> = {
    "auth/login": { method: "POST", run: login },
    "auth/token-login": { method: "POST", run: tokenLogin },
    "auth/logout": { method: "POST", run: logout },
    me: { method: "GET", run: me },
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
        logger.error({ err }, "account app failed after responding");
        return;
      }
      sendError(res, err, logger);
    });
  };
}
