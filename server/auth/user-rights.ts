// "The caller's rights on user U" and the checks built on it.
import * as errors from "../domain/error-catalog.js";
import { USER_POTENTIAL_RIGHTS, intersect, missing, rightName, union, type Right, type RightSet } from "../domain/rights.js";
import type { Db } from "../store/db.js";
import { findUser, type UserScope } from "../store/users.js";
import type { Caller } from "./caller.js";

/**
 * Entity rights come only from the user's own credentials (organization membership never grants rights on a
 * user); everyone else, admins included, holds at most their universal rights. Admins learn that a user does
 * not exist; anyone else just holds no rights on it.
 */
export async function rightsOnUser(db: Db, caller: Caller, userId: string, scope: UserScope = "active"): Promise<RightSet> {
  const rights = userRightsOf(caller);
  const own = caller.user?.userId === userId;
  // The caller's own user exists and is live: resolving the credential just said so.
  if (caller.isAdmin && !(own && scope !== "deleted") && !(await findUser(db, userId, scope))) throw errors.userNotFound({ user_id: userId });
  return own ? rights.own : rights.others;
}

/** A caller's rights on its own user and on any other, worked out once per caller (callers are shared and never change). */
const userRights = new WeakMap<Caller, { own: RightSet; others: RightSet }>();

function userRightsOf(caller: Caller): { own: RightSet; others: RightSet } {
  let rights = userRights.get(caller);
  if (!rights) {
    const universal = intersect(caller.universalRights, USER_POTENTIAL_RIGHTS);
    // A credential holding nothing a user can hold (e.g. only RIGHT_SEND_INVITES) has universal rights only.
    const own = intersect(caller.rights, USER_POTENTIAL_RIGHTS).size ? union(caller.rights, universal) : universal;
    rights = { own, others: universal };
    userRights.set(caller, rights);
  }
  return rights;
}

/** Throws no_user_rights / insufficient_user_rights (7) unless the caller holds every right in `required`. */
export async function requireUserRights(
  db: Db, caller: Caller, userId: string, required: Right[], scope: UserScope = "active",
): Promise<RightSet> {
  const held = await rightsOnUser(db, caller, userId, scope);
  assertRights(held, userId, required);
  return held;
}

export function assertRights(held: ReadonlySet<Right>, userId: string, required: Iterable<Right>): void {
  if (held.size === 0) throw errors.noUserRights({ uid: userId });
  const lacking = missing(held, required);
  if (lacking.length) throw errors.insufficientUserRights({ uid: userId, missing: lacking.map(rightName) });
}

/**
 * Admin-only operations. Upstream looks at is_admin alone, so any admin key, however narrow, passes; we follow
 * the spec's recommendation and also require the matching universal right.
 */
export function isAdminWith(caller: Caller, right: Right): boolean {
  return caller.isAdmin && caller.universalRights.has(right);
}
