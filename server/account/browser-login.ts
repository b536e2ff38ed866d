// What every browser login shares, whatever proved who the user is (a password, a login token, an authentication
// provider): the rate-limited password check, the user-state gate and the session cookie that ends it.
import type http from "node:http";
import type http2 from "node:http2";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { assertSameOriginRequest, selfOriginOf } from "../auth/request-origin.js";
import { sessionCookie, startSession } from "../auth/sessions.js";
import * as errors from "../domain/error-catalog.js";
import type { ServiceError } from "../domain/errors.js";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "../domain/password-hash.js";
import type { ServiceDeps } from "../services/context.js";
import { findUserSecrets, upgradePasswordHash as upgradeStoredHash } from "../store/users.js";
import { clientAddress as socketClientAddress } from "../transport/client-address.js";
import { requestIdOf, requestLogger } from "../ops/request-id.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;

/** Only APPROVED users start sessions (access issue); the error names the state, after the user was proven. */
export function stateError(user: { state: number; stateDescription: string }): ServiceError | undefined {
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

export interface BrowserLogin {
  /** Whether cookies get the `Secure` attribute for this request. */
  secureCookie(req: Req): boolean;
  /** The socket's peer; X-Forwarded-For only behind a trusted proxy, and then the hop that proxy saw. */
  clientAddress(req: Req): string;
  /** Refuses cookie-carrying requests from other sites (login CSRF would sign a victim into the attacker's account). */
  checkOrigin(req: Req): void;
  /** Checks a user's password under the login rate limits; the user, or `no_user_id_password_match`. */
  verifyUserPassword(req: Req, userId: string, password: string): Promise<{ id: string; userId: string }>;
  /** Starts a session for the user and returns the `Set-Cookie` value that carries it. */
  startBrowserSession(req: Req, userInternalId: string): Promise<string>;
}

export function browserLogin(deps: ServiceDeps): BrowserLogin {
  const { db, config, logger } = deps;
  const tls = (req: Req) => Boolean((req.socket as { encrypted?: boolean }).encrypted);
  const secureCookie = (req: Req) =>
    config.sessions.cookieSecure === "auto" ? tls(req) || config.publicUrl.startsWith("https:") : config.sessions.cookieSecure;

  const clientAddress = (req: Req) => socketClientAddress(req, config.trustProxy);

  /**
   * A verified password stored under an older scheme (e.g. upstream's PBKDF2, imported) is rehashed with today's
   * argon2id parameters; conditional on the old hash, so a password changed meanwhile is never overwritten.
   */
  async function upgradePasswordHash(internalId: string, oldHash: string, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await upgradeStoredHash(db, internalId, oldHash, passwordHash);
  }

  return {
    secureCookie,
    clientAddress,
    checkOrigin(req) {
      const host = (req.headers[":authority"] as string | undefined) ?? req.headers.host;
      assertSameOriginRequest(
        { origin: req.headers.origin, secFetchSite: req.headers["sec-fetch-site"] as string | undefined, selfOrigin: selfOriginOf(host, tls(req)) },
        config,
      );
    },
    async verifyUserPassword(req, userId, password) {
      const attempt = await deps.limits.passwordAttempts.reserve({ userId, address: clientAddress(req) });
      let user: Awaited<ReturnType<typeof findUserSecrets>>;
      let ok: boolean;
      try {
        // Unknown (or deleted) users cost one dummy verification, so timing does not tell them apart.
        user = await findUserSecrets(db, userId);
        ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
      } catch (err) {
        await attempt.release();
        throw err;
      }
      if (!ok || !user) {
        await attempt.failed();
        requestLogger(logger, requestIdOf(req)).info({ user_id: userId }, "login failed");
        throw errors.noUserIdPasswordMatch();
      }
      await attempt.succeeded();
      if (needsRehash(user.passwordHash)) await upgradePasswordHash(user.id, user.passwordHash, password);
      return { id: user.id, userId: user.userId };
    },
    async startBrowserSession(req, userInternalId) {
      const userAgent = req.headers["user-agent"];
      const started = await startSession(db, userInternalId, config.sessions, deps.clock.now(), {
        userAgent: typeof userAgent === "string" ? userAgent : undefined, clientAddress: clientAddress(req),
      });
      return sessionCookie(started.cookieValue, secureCookie(req));
    },
  };
}
