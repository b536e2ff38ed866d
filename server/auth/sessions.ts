// Browser sessions: started by a login, carried in the `_session` cookie or as an
// `ONZW4.<session_id>.<secret>` bearer token, ended by logout, deletion, or idle and absolute lifetimes.
import * as errors from "../domain/error-catalog.js";
import { digestSecret, joinToken, randomKey, secretMatches } from "../domain/tokens.js";
import type { Db } from "../store/db.js";
import * as store from "../store/sessions.js";
import type { CachedCredential, Credentials } from "./credentials.js";

export const SESSION_COOKIE = "_session";

export interface SessionPolicy {
  idleTimeoutMs: number;
  maxAgeMs: number;
}

/** When a session ends if not used again: the earlier of the idle deadline and the absolute one. */
function sessionDeadline(session: { createdAt: Date; lastSeenAt: Date | null }, policy: SessionPolicy, lastUse?: Date): Date {
  const seen = lastUse ?? session.lastSeenAt ?? session.createdAt;
  return new Date(Math.min(session.createdAt.getTime() + policy.maxAgeMs, seen.getTime() + policy.idleTimeoutMs));
}

export interface StartedSession {
  session: store.SessionRow;
  /** Cookie value: the session ID and its secret; only the secret's digest is stored. */
  cookieValue: string;
}

/** Where a session was started from, as its user sees it in the session list. */
export interface SessionOrigin { userAgent?: string; clientAddress?: string }

export async function startSession(
  db: Db, userInternalId: string, policy: SessionPolicy, now = new Date(), origin: SessionOrigin = {},
): Promise<StartedSession> {
  const secret = randomKey();
  const expiresAt = sessionDeadline({ createdAt: now, lastSeenAt: now }, policy);
  const session = await store.createSession(db, {
    userId: userInternalId, secretHash: digestSecret(secret), expiresAt, createdAt: now,
    userAgent: origin.userAgent?.slice(0, 512) || null, clientAddress: origin.clientAddress?.slice(0, 64) || null,
  });
  return { session, cookieValue: `${session.id}.${secret}` };
}

/** Splits a cookie value into session ID and secret; undefined when it is not one of ours. */
export function parseCookieValue(value: string): { id: string; secret: string } | undefined {
  const dot = value.indexOf(".");
  if (dot < 0) return undefined;
  const id = value.slice(0, dot);
  const secret = value.slice(dot + 1);
  if (!store.isSessionId(id) || !/^[A-Z2-7]+$/.test(secret)) return undefined;
  return { id, secret };
}

/** The bearer token equivalent of a cookie value, so both paths share one verification. */
export const cookieBearer = (value: string): string | undefined => {
  const parsed = parseCookieValue(value);
  return parsed && joinToken("ssn", parsed.id, parsed.secret);
};

/**
 * Verifies a session credential (order: exists → secret → expiry → owner). Use slides the idle deadline;
 * the write happens at most once per SLIDE_STEP, so most requests cost no write (and, cached, no read).
 */
export async function verifySession(
  credentials: Credentials, id: string, secret: string, policy: SessionPolicy, now = new Date(),
): Promise<CachedCredential<store.SessionForAuth>> {
  let entry = await credentials.session(id);
  if (!entry) throw errors.tokenNotFound();
  if (!secretMatches(entry.row.secretHash, secret)) throw errors.invalidAuthorization();
  // A cached copy may predate another instance's use of the session: only the stored row can say it ended.
  if (deadlineOf(entry.row, policy) <= now.getTime()) entry = await credentials.session(id, true);
  if (!entry) throw errors.tokenNotFound();
  const row = entry.row;
  if (deadlineOf(row, policy) <= now.getTime()) throw errors.tokenExpired();
  if (!row.user || row.user.deletedAt) throw errors.tokenNotFound();
  const lastSeen = (row.lastSeenAt ?? row.createdAt).getTime();
  if (now.getTime() - lastSeen >= slideStep(policy)) entry = await credentials.touchSession(entry, now, sessionDeadline(row, policy, now));
  return entry;
}

/** Checked against today's policy as well as the stored deadline, so shortening a lifetime applies at once. */
const deadlineOf = (row: store.SessionForAuth, policy: SessionPolicy) =>
  Math.min(sessionDeadline(row, policy).getTime(), row.expiresAt?.getTime() ?? Infinity);

/** A minute, or a tenth of the idle timeout when that is shorter: the idle deadline is this precise. */
const slideStep = (policy: SessionPolicy) => Math.min(60_000, policy.idleTimeoutMs / 10);

export async function endSession(db: Db, userInternalId: string, id: string): Promise<boolean> {
  return store.deleteUserSession(db, userInternalId, id);
}

/** The value of cookie `name` in a `Cookie` header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * `HttpOnly` keeps scripts away from it, `SameSite=Lax` keeps other sites' subrequests from carrying it, and no
 * Max-Age makes it a browser-session cookie (upstream); the server-side lifetimes decide when it stops working.
 */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}
