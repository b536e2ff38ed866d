// The account app's JSON API (spec C.2–C.5), same paths and bodies as upstream's `/oauth/api/*`: password and
// token login start a session and set its cookie, logout ends it, `me` describes it.
import type http from "node:http";
import type http2 from "node:http2";
import { toJson } from "@bufbuild/protobuf";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { assertSameOriginRequest, selfOriginOf } from "../auth/request-origin.js";
import {
  clearedSessionCookie, endSession, parseCookieValue, readCookie, sessionCookie, SESSION_COOKIE, startSession, verifySession,
} from "../auth/sessions.js";
import * as errors from "../domain/error-catalog.js";
import { isServiceError, type ServiceError } from "../domain/errors.js";
import { isValidUserId } from "../domain/identifiers.js";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "../domain/password-hash.js";
import { digestSecret } from "../domain/tokens.js";
import { userReadMask } from "../domain/user-paths.js";
import type { ServiceDeps } from "../services/context.js";
import { publicOnly, toUserMessage, userMessageOptions } from "../services/user-messages.js";
import * as sessions from "../store/sessions.js";
import { findUser, findUserSecrets } from "../store/users.js";
import { readFields } from "./body.js";
import { sendError, sendJson } from "./http-errors.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export const ACCOUNT_API_PREFIX = "/oauth/api/";

/** What `/me` shows: the public-safe user (upstream PublicSafe). */
const ME_PATHS = userReadMask(["ids", "created_at", "updated_at", "contact_info", "name", "description", "state", "admin", "profile_picture"]);

/** Only APPROVED users start sessions (access issue); the error names the state, after the password matched. */
function stateError(user: { state: number; stateDescription: string }): ServiceError | undefined {
  const description = user.stateDescription;
  switch (user.state) {
    case State.APPROVED:
      return undefined;
    case State.REJECTED:
      return errors.userRejected({ description });
    case State.SUSPENDED:
      return errors.userSuspended({ description });
    case State.FLAGGED:
      return errors.userFlagged({ description });
    default:
      return errors.userRequested({ description });
  }
}

export function accountHandler(deps: ServiceDeps): (req: Req, res: Res) => void {
  const { db, config, logger } = deps;
  const messageOptions = userMessageOptions(config);

  const tls = (req: Req) => Boolean((req.socket as { encrypted?: boolean }).encrypted);
  const secureCookie = (req: Req) =>
    config.sessions.cookieSecure === "auto" ? tls(req) || config.publicUrl.startsWith("https:") : config.sessions.cookieSecure;

  /** The socket's peer; X-Forwarded-For only behind a trusted proxy, and then the hop that proxy saw. */
  function clientAddress(req: Req): string {
    if (config.trustProxy) {
      const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      if (forwarded.length) return forwarded[forwarded.length - 1]!;
    }
    return (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
  }

  function checkOrigin(req: Req): void {
    const host = (req.headers[":authority"] as string | undefined) ?? req.headers.host;
    assertSameOriginRequest(
      { origin: req.headers.origin, secFetchSite: req.headers["sec-fetch-site"] as string | undefined, selfOrigin: selfOriginOf(host, tls(req)) },
      config,
    );
  }

  async function begin(req: Req, res: Res, userInternalId: string): Promise<void> {
    const started = await startSession(db, userInternalId, config.sessions);
    res.setHeader("set-cookie", sessionCookie(started.cookieValue, secureCookie(req)));
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

    const attempt = deps.passwordAttempts.reserve({ userId, address: clientAddress(req) });
    let user: Awaited<ReturnType<typeof findUserSecrets>>;
    let ok: boolean;
    try {
      // Unknown (or deleted) users cost one dummy verification, so timing does not tell them apart.
      user = await findUserSecrets(db, userId);
      ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    } catch (err) {
      attempt.release();
      throw err;
    }
    if (!ok || !user) {
      attempt.failed();
      logger.info({ user_id: userId }, "login failed");
      throw errors.noUserIdPasswordMatch();
    }
    attempt.succeeded();
    const row = await findUser(db, userId);
    if (!row) throw errors.noUserIdPasswordMatch(); // deleted meanwhile
    const blocked = stateError(row);
    if (blocked) throw blocked;
    if (needsRehash(user.passwordHash)) await upgradePasswordHash(user.id, user.passwordHash, password);
    await begin(req, res, user.id);
    logger.info({ user_id: userId }, "user logged in");
  }

  /**
   * A verified password stored under an older scheme (e.g. upstream's PBKDF2, imported) is rehashed with today's
   * argon2id parameters; conditional on the old hash, so a password changed meanwhile is never overwritten.
   */
  async function upgradePasswordHash(internalId: string, oldHash: string, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await db.user.updateMany({ where: { id: internalId, passwordHash: oldHash }, data: { passwordHash } });
  }

  async function tokenLogin(req: Req, res: Res): Promise<void> {
    const fields = await readFields(req);
    const token = (fields.token ?? "").trim();
    if (!token) throw errors.missingToken();
    const outcome = await sessions.consumeLoginToken(db, digestSecret(token), new Date());
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
