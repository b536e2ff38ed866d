// What every service handler receives: the database, configuration, mail, and the per-request caller.
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { resolveCaller, type Caller } from "../auth/caller.js";
import type { Credentials } from "../auth/credentials.js";
import type { RateLimits } from "../auth/rate-limit.js";
import { assertSameOriginRequest } from "../auth/request-origin.js";
import { cookieBearer, readCookie, SESSION_COOKIE } from "../auth/sessions.js";
import { isAdminWith } from "../auth/user-rights.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import * as errors from "../domain/error-catalog.js";
import { Code, ServiceError } from "../domain/errors.js";
import type { Right } from "../domain/rights.js";
import type { Logger } from "../logger.js";
import { REQUEST_ID, requestLogger } from "../ops/request-id.js";
import type { MailQueue } from "../mail/outbox.js";
import type { BackgroundWork } from "../notifications/background.js";
import type { PrismaClient } from "../../prisma/generated/client.js";
import type { Db } from "../store/db.js";
import { findUser, type UserRow } from "../store/users.js";

export interface ServiceDeps {
  db: PrismaClient;
  /** API keys and sessions as authentication reads them (cached, never past a revocation). */
  credentials: Credentials;
  config: Config;
  logger: Logger;
  mail: MailQueue;
  /** Password attempts, sign-ups and mail per recipient, counted for every instance (auth/rate-limit.ts). */
  limits: RateLimits;
  /** Follow-up work after a successful RPC, e.g. internal notifications. */
  background: BackgroundWork;
  /** The current time: use `clock.now()`, never `new Date()`, so tests can move time forward. */
  clock: Clock;
}

/** The client's network address, set by the transport for every call; per-address limits count by it. */
export const CLIENT_ADDRESS = createContextKey<string>("unknown", { description: "client network address" });

export const clientAddressOf = (ctx: HandlerContext): string => ctx.values.get(CLIENT_ADDRESS);

/** The logger for what a handler logs: every line names the request (server/ops/request-id.ts). */
export const logOf = (deps: ServiceDeps, ctx: HandlerContext): Logger => requestLogger(deps.logger, ctx.values.get(REQUEST_ID));

/** `deps` whose logger names the request: for helpers that take the dependencies and log. */
export const withRequestLog = (deps: ServiceDeps, ctx: HandlerContext): ServiceDeps => ({ ...deps, logger: logOf(deps, ctx) });

const callers = new WeakMap<HandlerContext, Promise<Caller>>();

/**
 * The caller of this request, resolved on first use and cached, so a handler that never asks (e.g.
 * UpdatePassword) never touches the credential. Restriction warnings go out in the `warning` header.
 */
export function callerOf(deps: ServiceDeps, ctx: HandlerContext): Promise<Caller> {
  let caller = callers.get(ctx);
  if (!caller) {
    caller = resolveRequest(deps, ctx).then((c) => {
      for (const warning of c.warnings) ctx.responseHeader.append("warning", headerSafe(warning));
      return c;
    });
    callers.set(ctx, caller);
  }
  return caller;
}

/**
 * Warnings quote admin-written text (a state description), which may hold line breaks or any Unicode; a header
 * value takes neither, so line breaks become spaces and non-ASCII characters are percent-encoded.
 */
function headerSafe(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ").replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c));
}

/**
 * An `authorization` header wins; without one, the `_session` cookie stands in for a session bearer token,
 * but only for requests the browser shows to come from our own or an allowed origin (CSRF).
 */
async function resolveRequest(deps: ServiceDeps, ctx: HandlerContext): Promise<Caller> {
  const options = {
    adminRightsAll: deps.config.adminRightsAll, sessions: deps.config.sessions, clusterKeys: deps.config.clusterKeys, now: deps.clock.now(),
    emailValidationRequired: deps.config.emailValidation.required,
  };
  const authorization = ctx.requestHeader.get("authorization");
  if (authorization) return resolveCaller(deps.credentials, authorization, options);
  const cookie = readCookie(ctx.requestHeader.get("cookie"), SESSION_COOKIE);
  const bearer = cookie ? cookieBearer(cookie) : undefined;
  if (!bearer) return resolveCaller(deps.credentials, null, options);
  assertSameOriginRequest(
    { origin: ctx.requestHeader.get("origin"), secFetchSite: ctx.requestHeader.get("sec-fetch-site"), selfOrigin: new URL(ctx.url).origin },
    deps.config,
  );
  return resolveCaller(deps.credentials, `Bearer ${bearer}`, options);
}

/**
 * The caller, or anonymous when the credential is bad: for checks that only ask "is this an admin?". A failure
 * that is not about the credential (the database is unreachable, a bug) is not "anonymous": it propagates, so an
 * outage answers database_unavailable instead of permission_denied.
 */
export async function callerOrAnonymous(deps: ServiceDeps, ctx: HandlerContext): Promise<Caller | undefined> {
  try {
    return await callerOf(deps, ctx);
  } catch (err) {
    if (err instanceof ServiceError && err.code !== Code.Unavailable && err.code !== Code.Internal) return undefined;
    throw err;
  }
}

export function setTotalCount(ctx: HandlerContext, total: number): void {
  ctx.responseHeader.set("x-total-count", String(total));
}

/**
 * Admin-only calls (List, Purge, the tti registries): a bad or missing credential is just "not an admin",
 * and an admin's credential must also hold `right`.
 */
export async function requireAdminWith(
  deps: ServiceDeps, ctx: HandlerContext, right: Right, refusal: () => Error = () => errors.permissionDenied(),
): Promise<Caller> {
  const caller = await callerOrAnonymous(deps, ctx);
  if (!caller || !isAdminWith(caller, right)) throw refusal();
  return caller;
}

/** The active user `userId`, or `user_not_found` (5): the store answers null, services name the error. */
export async function getUser(db: Db, userId: string): Promise<UserRow> {
  const user = await findUser(db, userId);
  if (!user) throw errors.userNotFound({ user_id: userId });
  return user;
}
