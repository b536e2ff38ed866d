// The user IDs derived for accounts registered through a provider: always valid, never reserved, in upstream's order.
import { describe, expect, it } from "vitest";
import { isReservedUserId, isValidUserId } from "../../server/domain/identifiers.js";
import type { ProviderIdentity } from "../../server/sso/oidc-client.js";
import { normalizeUserId, userIdCandidates } from "../../server/sso/user-ids.js";

const identity = (fields: Partial<ProviderIdentity>): ProviderIdentity => ({
  subject: "sub", email: "", emailVerified: true, preferredUsername: "", name: "", givenName: "", familyName: "", ...fields,
});

describe("user IDs from provider claims", () => {
  it("normalizes to lower-case letters, digits and single inner hyphens", () => {
    expect(normalizeUserId("Zoë O'Brien--Smith_")).toBe("zoe-o-brien-smith");
    expect(normalizeUserId("__x__")).toBe("x");
    expect(normalizeUserId("日本")).toBe("");
    const long = normalizeUserId("a".repeat(35) + "-b");
    expect([long, long.length]).toEqual(["a".repeat(35), 35]); // cut at 36, no trailing hyphen
  });

  it("prefers the username, then the e-mail's local part, then the name, then suffixed forms", () => {
    const ids = userIdCandidates(identity({ preferredUsername: "J.Doe", email: "jane@corp.example", givenName: "Jane", familyName: "Doe" }), "corp");
    expect(ids.slice(0, 6)).toEqual(["j-doe", "jane", "jane-doe", "j-doe-corp", "jane-corp", "jane-doe-corp"]);
    expect(ids.slice(6).every((id) => /^(j-doe|jane|jane-doe)-[a-z0-9]{1,5}$/.test(id))).toBe(true);
  });

  it("yields only valid IDs that are not reserved, even from unusable claims and long provider IDs", () => {
    for (const claims of [
      identity({ preferredUsername: "admin", email: "root@x.example" }),
      identity({ preferredUsername: "x", name: "日本" }),
      identity({ preferredUsername: "n".repeat(80) }),
      identity({}),
    ]) {
      const ids = userIdCandidates(claims, "a-very-long-provider-id-of-36-chars");
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect([id, isValidUserId(id) && !isReservedUserId(id)]).toEqual([id, true]);
    }
  });
});
