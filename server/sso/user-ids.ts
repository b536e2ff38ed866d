// The user ID of an account registered through an authentication provider, derived as upstream's enterprise
// edition does: from the preferred username, the e-mail's local part or the full name, normalized to the user-ID
// rules, then suffixed with the provider ID or random characters until one is free and not on the blocklist.
import { randomBytes } from "node:crypto";
import { isReservedUserId, isValidUserId, MAX_ID_LENGTH } from "../domain/identifiers.js";
import type { ProviderIdentity } from "./oidc-client.js";

/** Lower case, every run of other characters one hyphen, no hyphen at either end, at most `max` characters. */
export function normalizeUserId(raw: string, max = MAX_ID_LENGTH): string {
  if (max <= 0) return "";
  const ascii = raw.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""); // é → e
  return ascii.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+/, "").slice(0, max).replace(/-+$/, "");
}

const RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const randomSuffix = (length: number) => [...randomBytes(length)].map((b) => RANDOM_ALPHABET[b % RANDOM_ALPHABET.length]).join("");

/** Suffixed with random characters per base; tried after every plain candidate is taken. */
const RANDOM_TRIES = 5;

/** Candidate user IDs in order of preference; each valid and not reserved. */
export function userIdCandidates(identity: ProviderIdentity, providerId: string): string[] {
  const bases = [
    identity.preferredUsername,
    identity.email.split("@")[0] ?? "",
    [identity.givenName, identity.familyName].filter(Boolean).join(" "),
    identity.name,
  ].map((b) => normalizeUserId(b)).filter(Boolean);
  const unique = [...new Set(bases)];
  const suffixed = (base: string, suffix: string) => `${normalizeUserId(base, MAX_ID_LENGTH - suffix.length - 1)}-${suffix}`;
  const candidates = [
    ...unique,
    ...unique.map((b) => suffixed(b, providerId)),
    ...unique.flatMap((b) => Array.from({ length: RANDOM_TRIES }, (_, i) => suffixed(b, randomSuffix(i + 1)))),
  ];
  if (!unique.length) candidates.push(...Array.from({ length: RANDOM_TRIES }, () => suffixed(providerId, randomSuffix(5))));
  return [...new Set(candidates)].filter((id) => isValidUserId(id) && !isReservedUserId(id));
}
