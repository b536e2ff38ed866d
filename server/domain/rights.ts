// The rights algebra of upstream, computed from the enum's value names exactly as upstream does, so a new
// right added to rights.proto lands in the right sets without touching this file.
import { Right, RightSchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";

export { Right };
export type RightSet = ReadonlySet<Right>;

const named = RightSchema.values.filter((v) => v.number !== 0).map((v) => ({ name: v.name, right: v.number as Right }));
const where = (test: (name: string) => boolean): RightSet => new Set(named.filter((v) => test(v.name)).map((v) => v.right));

export const ALL_RIGHTS = where(() => true);
const ALL_USER_RIGHTS = where((n) => n.startsWith("RIGHT_USER_"));
const ALL_APPLICATION_RIGHTS = where((n) => n.startsWith("RIGHT_APPLICATION_"));
const ALL_CLIENT_RIGHTS = where((n) => n.startsWith("RIGHT_CLIENT_"));
const ALL_GATEWAY_RIGHTS = where((n) => n.startsWith("RIGHT_GATEWAY_"));
const ALL_ORGANIZATION_RIGHTS = where((n) => n.startsWith("RIGHT_ORGANIZATION_"));
/** What an admin holds universally, unless ADMIN_RIGHTS_ALL: no key management, no pseudo-rights. */
export const ALL_ADMIN_RIGHTS = where((n) => !n.endsWith("_KEYS") && !n.endsWith("_ALL"));
export const ALL_CLUSTER_RIGHTS = where((n) => n.endsWith("_READ") || n.endsWith("_INFO"));
/** Rights that can exist on a user: entity, organization and user rights, never RIGHT_ALL/SEND_INVITES. */
export const USER_POTENTIAL_RIGHTS = union(
  ALL_APPLICATION_RIGHTS, ALL_CLIENT_RIGHTS, ALL_GATEWAY_RIGHTS, ALL_ORGANIZATION_RIGHTS, ALL_USER_RIGHTS,
);

const IMPLICATIONS = new Map<Right, RightSet>([
  [Right.ALL, ALL_RIGHTS],
  [Right.USER_ALL, ALL_USER_RIGHTS],
  [Right.APPLICATION_ALL, ALL_APPLICATION_RIGHTS],
  [Right.GATEWAY_ALL, ALL_GATEWAY_RIGHTS],
  [Right.ORGANIZATION_ALL, ALL_ORGANIZATION_RIGHTS],
  [Right.CLIENT_ALL, new Set([
    Right.CLIENT_INFO, Right.CLIENT_SETTINGS_BASIC, Right.CLIENT_SETTINGS_COLLABORATORS, Right.CLIENT_DELETE,
  ])],
  [Right.APPLICATION_LINK, new Set([
    Right.APPLICATION_INFO, Right.APPLICATION_TRAFFIC_READ, Right.APPLICATION_TRAFFIC_DOWN_WRITE,
  ])],
  [Right.GATEWAY_LINK, new Set([Right.GATEWAY_INFO])],
]);

/** Adds what each right implies. One level is enough: RIGHT_ALL's set already holds every pseudo-right. */
export function implied(rights: Iterable<Right>): Set<Right> {
  const out = new Set<Right>();
  for (const right of rights) {
    out.add(right);
    for (const r of IMPLICATIONS.get(right) ?? []) out.add(r);
  }
  return out;
}

export function union(...sets: Iterable<Right>[]): Set<Right> {
  const out = new Set<Right>();
  for (const set of sets) for (const r of set) out.add(r);
  return out;
}

export function intersect(a: Iterable<Right>, b: RightSet): Set<Right> {
  return new Set([...a].filter((r) => b.has(r)));
}

/** Rights of `required` missing from `held`, compared literally (a required right is never expanded). */
export function missing(held: RightSet, required: Iterable<Right>): Right[] {
  return [...required].filter((r) => !held.has(r));
}

export const rightName = (r: Right): string => RightSchema.values.find((v) => v.number === r)?.name ?? String(r);

/** Sorted numerically so responses are stable (upstream returns map order). */
export const sorted = (rights: Iterable<Right>): Right[] => [...rights].sort((a, b) => a - b);
