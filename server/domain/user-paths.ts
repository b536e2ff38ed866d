// Field-mask rules for User (upstream pkg/identityserver/user_registry.go). Paths are exact strings, no wildcards.
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import * as errors from "./error-catalog.js";
import { fieldPaths } from "./field-paths.js";

/** Every path of User, nested ones included. */
const USER_PATHS: readonly string[] = fieldPaths(UserSchema);

const READ_FORBIDDEN = new Set(["password", "temporary_password"]);
const UPDATE_FORBIDDEN = new Set(["password", "password_updated_at"]);

/** Fields anyone authenticated may read about any user. */
const PUBLIC_TOP_LEVEL = new Set([
  "ids", "created_at", "updated_at", "deleted_at", "contact_info", "name", "description", "state", "admin", "profile_picture",
]);

/** Fields only an admin may write (as upstream). */
export const ADMIN_ONLY_PATHS = new Set([
  "primary_email_address_validated_at", "require_password_update", "state", "state_description", "admin",
  "temporary_password", "temporary_password_created_at", "temporary_password_expires_at",
]);

const topLevel = (path: string) => path.split(".")[0]!;

function checkPaths(paths: readonly string[], forbidden: ReadonlySet<string>): void {
  const bad = paths.filter((p) => forbidden.has(p) || !USER_PATHS.includes(p));
  if (bad.length) throw errors.fieldMaskPaths.of(bad);
}

/**
 * Validates a read mask and adds what is always returned (ids, created_at, updated_at), in USER_PATHS order.
 * Clients send the same few masks over and over: the answers for valid masks are kept (frozen, shared).
 */
export function userReadMask(paths: readonly string[]): readonly string[] {
  const key = paths.join(",");
  const known = readMasks.get(key);
  if (known && known.paths.length === paths.length && known.paths.every((p, i) => p === paths[i])) return known.mask;
  checkPaths(paths, READ_FORBIDDEN);
  const wanted = new Set([...paths, "ids", "created_at", "updated_at"]);
  const mask = Object.freeze(USER_PATHS.filter((p) => wanted.has(p)));
  if (readMasks.size < MAX_KNOWN_MASKS) readMasks.set(key, { paths: [...paths], mask });
  return mask;
}

/** Valid read masks seen so far (a client choosing new ones each time only stops the remembering). */
const readMasks = new Map<string, { paths: readonly string[]; mask: readonly string[] }>();
const MAX_KNOWN_MASKS = 512;

/** Validates an update mask; drops what cannot change; an empty result means "just bump updated_at". */
export function userUpdateMask(paths: readonly string[]): string[] {
  checkPaths(paths, UPDATE_FORBIDDEN);
  const fixed = new Set(["ids", "ids.email", "ids.user_id", "created_at", "updated_at", "deleted_at"]);
  return USER_PATHS.filter((p) => paths.includes(p) && !fixed.has(p));
}

export const isPublicMask = (paths: readonly string[]): boolean => paths.every((p) => PUBLIC_TOP_LEVEL.has(topLevel(p)));

/** True when `paths` selects `field` or anything inside it. */
export function selects(paths: readonly string[], field: string): boolean {
  // A frozen mask (userReadMask's) never changes: the fields it reaches into are worked out once.
  if (Object.isFrozen(paths)) return selectedFields(paths).has(field);
  return paths.some((p) => p === field || p.startsWith(`${field}.`));
}

const selectedByMask = new WeakMap<readonly string[], ReadonlySet<string>>();

/** Every path of the mask and every path above one: `a.b.c` selects `a.b.c`, `a.b` and `a`. */
function selectedFields(paths: readonly string[]): ReadonlySet<string> {
  let fields = selectedByMask.get(paths);
  if (!fields) {
    const all = new Set<string>();
    for (const path of paths) for (let dot = path.indexOf("."); ; dot = path.indexOf(".", dot + 1)) {
      all.add(dot < 0 ? path : path.slice(0, dot));
      if (dot < 0) break;
    }
    selectedByMask.set(paths, (fields = all));
  }
  return fields;
}
