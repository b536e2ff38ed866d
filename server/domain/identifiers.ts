// Identifier and e-mail rules shared by validation and the registry.
import { loadWordList } from "./word-lists.js";

/** User IDs (`ID2`): 2–36 chars of lowercase letters/digits with single hyphens between them. */
export const USER_ID_PATTERN = /^[a-z0-9](?:[-]?[a-z0-9]){1,}$/;
/** Other entity IDs (`ID3`): like user IDs but at least 3 chars. */
export const ENTITY_ID_PATTERN = /^[a-z0-9](?:[-]?[a-z0-9]){2,}$/;
export const MAX_ID_LENGTH = 36;

export function isValidUserId(id: string): boolean {
  // The pattern only allows ASCII, so string length equals the code-point count upstream limits.
  return id.length <= MAX_ID_LENGTH && USER_ID_PATTERN.test(id);
}

const reservedIds = loadWordList("reserved-ids.txt");

/** Built-in blocklist (routes, brand and role names); exact match, applied even to admins. */
export function isReservedUserId(id: string): boolean {
  return reservedIds.has(id);
}

// The user registry handler's regex, copied verbatim from upstream. A dot in the domain
// is not required, so `root@localhost` is valid.
const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function isValidEmail(email: string): boolean {
  return EMAIL_PATTERN.test(email);
}
