// Who is calling: the credential of a request resolved into rights, once per request and only when a
// handler asks. The rules are upstream's with its recommended fixes.
import { timingSafeEqual } from "node:crypto";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import * as errors from "../domain/error-catalog.js";
import { ALL_ADMIN_RIGHTS, ALL_CLUSTER_RIGHTS, ALL_RIGHTS, Right, implied, intersect, type RightSet } from "../domain/rights.js";
import { secretMatches, splitToken } from "../domain/tokens.js";
import type { ApiKeyRow } from "../store/api-keys.js";
import type { SessionRow } from "../store/sessions.js";
import type { CachedCredential, Credentials } from "./credentials.js";
import { verifySession, type SessionPolicy } from "./sessions.js";

/** The user a credential belongs to, as far as rights are concerned. */
export interface CallerUser {
  id: string;
  userId: string;
  admin: boolean;
  state: number;
  stateDescription: string;
  /** Unset on callers built without it (treated as validated). */
  primaryEmailAddressValidatedAt?: Date | null;
}

export type Credential =
  | { kind: "anonymous" }
  | { kind: "api-key"; key: ApiKeyRow; user: CallerUser }
  | { kind: "session"; session: SessionRow; user: CallerUser }
  | { kind: "cluster" };

export interface Caller {
  credential: Credential;
  /** The credential's own rights, implied and narrowed by the owner's state. */
  rights: RightSet;
  /** Rights valid on every entity: admins only. */
  universalRights: RightSet;
  isAdmin: boolean;
  /** The user the credential belongs to, if any. */
  user?: CallerUser;
  /** Notices for the `warning` response header (restricted rights). */
  warnings: string[];
}

const ANONYMOUS: Caller = Object.freeze({
  credential: { kind: "anonymous" },
  rights: new Set<Right>(),
  universalRights: new Set<Right>(),
  isAdmin: false,
  warnings: [],
}) as Caller;

const RESTRICTED_PENDING = new Set([Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_DELETE]);
const RESTRICTED_REJECTED = new Set([Right.USER_INFO, Right.USER_DELETE]);
const RESTRICTED_SUSPENDED = new Set([Right.USER_INFO]);

/**
 * Narrows a user's credential by account state; applied to every credential kind, sessions included.
 * With EMAIL_VALIDATION_REQUIRED an unvalidated address narrows it like a pending account (upstream
 * pkg/identityserver/entity_access.go): the profile, basic settings (to fix the address) and deleting the account.
 */
function restrictByState(user: CallerUser, rights: RightSet, emailValidationRequired = false): { rights: Set<Right>; warning?: string } {
  if (emailValidationRequired && user.primaryEmailAddressValidatedAt === null) {
    const narrowed = restrictByState(user, intersect(rights, RESTRICTED_PENDING));
    return { rights: narrowed.rights, warning: narrowed.warning ?? "Restricted rights until email address validated" };
  }
  const suffix = user.stateDescription ? `: ${user.stateDescription}` : "";
  switch (user.state) {
    case State.REQUESTED:
      return { rights: intersect(rights, RESTRICTED_PENDING), warning: "Restricted rights while account pending" };
    case State.REJECTED:
      return { rights: intersect(rights, RESTRICTED_REJECTED), warning: `Restricted rights after account rejection${suffix}` };
    case State.SUSPENDED:
      return { rights: intersect(rights, RESTRICTED_SUSPENDED), warning: `Restricted rights after account suspension${suffix}` };
    default:
      return { rights: new Set(rights) };
  }
}

/** Builds the caller of a user-owned credential holding `granted` (unexpanded) rights. */
function userCaller(
  credential: Credential & { user: CallerUser }, granted: Iterable<Right>, adminRightsAll: boolean, emailValidationRequired = false,
): Caller {
  const user = credential.user;
  const { rights, warning } = restrictByState(user, implied(granted), emailValidationRequired);
  // FLAGGED admins are not admins (upstream); only APPROVED ones are.
  const isAdmin = user.admin && user.state === State.APPROVED;
  const universalRights = isAdmin ? intersect(adminRightsAll ? ALL_RIGHTS : ALL_ADMIN_RIGHTS, rights) : new Set<Right>();
  return { credential, rights, universalRights, isAdmin, user, warnings: warning ? [warning] : [] };
}

/**
 * Resolves an `authorization` header. No header is an anonymous caller; a header that is present but
 * wrong is an error, surfaced by whichever check first needs the caller.
 */
export interface ResolveOptions {
  adminRightsAll: boolean;
  sessions: SessionPolicy;
  /** Keys accepted in `ClusterKey <hex>` (CLUSTER_KEYS); without them a ClusterKey header is refused. */
  clusterKeys?: readonly Buffer[];
  now?: Date;
  /** EMAIL_VALIDATION_REQUIRED: users with an unvalidated address get restricted rights. */
  emailValidationRequired?: boolean;
}

/** `Scheme value` of an Authorization header; the scheme lower-cased, as schemes are case-insensitive. */
function splitAuthorization(header: string): { scheme: string; value: string } {
  const space = header.indexOf(" ");
  if (space < 0) return { scheme: header.toLowerCase(), value: "" };
  return { scheme: header.slice(0, space).toLowerCase(), value: header.slice(space + 1).trim() };
}

export async function resolveCaller(credentials: Credentials, authorization: string | null, options: ResolveOptions): Promise<Caller> {
  if (!authorization) return ANONYMOUS;
  const { scheme, value } = splitAuthorization(authorization);
  if (scheme === "clusterkey" && options.clusterKeys) {
    if (!clusterKeyMatches(value, options.clusterKeys)) throw errors.wrongClusterKey();
    return CLUSTER;
  }
  if (scheme !== "bearer") throw errors.unsupportedAuthorization();
  const token = splitToken(value); // malformed → pkg/auth:token (3), as upstream
  switch (token.kind) {
    case "key":
      return resolveApiKey(credentials, token.id, token.secret, options);
    case "ssn":
      return resolveSession(credentials, token.id, token.secret, options);
    case "ref":
    case "aut":
      throw errors.unsupportedAuthorization();
    default:
      // OAuth access tokens are resolved by their own module once that credential exists.
      throw errors.tokenNotFound();
  }
}

async function resolveApiKey(credentials: Credentials, id: string, secret: string, options: ResolveOptions): Promise<Caller> {
  const entry = await credentials.apiKey(id);
  if (!entry) throw errors.apiKeyNotFoundForAuth();
  const row = entry.row;
  // Secret, expiry, then owner: a key whose owner is soft-deleted does not exist for authentication.
  if (!secretMatches(row.secretHash, secret)) throw errors.invalidAuthorization();
  if (row.expiresAt && row.expiresAt <= (options.now ?? new Date())) throw errors.apiKeyExpired();
  if (!row.user || row.user.deletedAt) throw errors.apiKeyNotFoundForAuth();
  return derivedCaller(entry, options, () => {
    const { secretHash: _secret, user, ...key } = row;
    return userCaller({ kind: "api-key", key, user: user! }, key.rights as Right[], options.adminRightsAll, options.emailValidationRequired);
  });
}

/** A session acts with all of its user's rights, narrowed by the user's state like any credential. */
async function resolveSession(credentials: Credentials, id: string, secret: string, options: ResolveOptions): Promise<Caller> {
  const entry = await verifySession(credentials, id, secret, options.sessions, options.now);
  return derivedCaller(entry, options, () => {
    const { secretHash: _secret, user, ...session } = entry.row;
    return userCaller({ kind: "session", session, user: user! }, [Right.ALL], options.adminRightsAll, options.emailValidationRequired);
  });
}

/**
 * The caller built from a (cached) credential, built once per entry and then shared by every call with it:
 * callers are never modified after they are built.
 */
function derivedCaller(entry: CachedCredential<unknown>, options: ResolveOptions, build: () => Caller): Caller {
  const settings = `${options.adminRightsAll}:${options.emailValidationRequired ?? false}`;
  const derived = entry.derived as { settings: string; caller: Caller } | undefined;
  if (derived?.settings === settings) return derived.caller;
  const caller = build();
  entry.derived = { settings, caller };
  return caller;
}

/** A trusted cluster service: every _READ and _INFO right on every entity, never an admin. */
const CLUSTER: Caller = Object.freeze({
  credential: { kind: "cluster" },
  rights: ALL_CLUSTER_RIGHTS,
  universalRights: ALL_CLUSTER_RIGHTS,
  isAdmin: false,
  warnings: [],
}) as Caller;

/** Compares against every configured key in constant time, so timing tells nothing about which bytes matched. */
function clusterKeyMatches(hex: string, keys: readonly Buffer[]): boolean {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return false;
  const given = Buffer.from(hex, "hex");
  let matched = false;
  for (const key of keys) {
    const same = key.length === given.length && timingSafeEqual(key, given);
    matched = matched || same;
  }
  return matched;
}

/**
 * Operations for trusted services only (NotificationService.Create): the request must carry one of our
 * cluster keys; anything else is refused with upstream's cluster errors.
 */
export function requireClusterKey(authorization: string | null, keys: readonly Buffer[]): Caller {
  if (!authorization) throw errors.noClusterKey();
  const { scheme, value } = splitAuthorization(authorization);
  if (scheme !== "clusterkey") throw errors.clusterAuthType({ auth_type: authorization.split(" ", 1)[0] }); // as sent
  if (!clusterKeyMatches(value, keys)) throw errors.wrongClusterKey();
  return CLUSTER;
}
