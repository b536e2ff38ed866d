// A page of users is read with only the fields its read mask shows (userRowFields): for every path a client may ask
// for, a row holding just those fields must give the same User message as the whole row.
import { describe, expect, it } from "vitest";
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { fieldPaths } from "../../server/domain/field-paths.js";
import { userReadMask } from "../../server/domain/user-paths.js";
import { toUserMessage, userRowFields } from "../../server/services/user-messages.js";
import type { UserRow } from "../../server/store/users.js";

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 12, 0, 0, 123));
const whole: UserRow = {
  id: "2f0c6b1e-8a51-4f7e-9c1d-5b9a7e3d2c10", userId: "alice", name: "Alice", description: "Operates gw1",
  primaryEmailAddress: "alice@example.com", primaryEmailAddressValidatedAt: day(2), passwordUpdatedAt: day(3),
  requirePasswordUpdate: true, state: 1, stateDescription: "approved", admin: true, temporaryPasswordCreatedAt: day(4),
  temporaryPasswordExpiresAt: day(5), profilePicture: { sizes: { 64: "/pictures/alice-64.png" } },
  consolePreferences: { console_theme: 2, sort_by: { gateway: "name" } }, createdAt: day(1), updatedAt: day(6),
  deletedAt: day(7), attributes: [{ key: "team", value: "blue" }],
};
const withoutPicture: UserRow = { ...whole, profilePicture: null };
const options = { gravatar: true, publicUrl: "https://id.example.com" };

/** The row as a page read for `paths` holds it: the other fields undefined, the attributes empty. */
function projected(row: UserRow, paths: readonly string[]): UserRow {
  const fields = userRowFields(paths);
  const entries = Object.entries(row).map(([k, v]) => [k, fields.has(k as keyof UserRow) ? v : k === "attributes" ? [] : undefined]);
  return Object.fromEntries(entries) as UserRow;
}

const readable = fieldPaths(UserSchema).filter((p) => p !== "password" && p !== "temporary_password" && !p.startsWith("password.") && !p.startsWith("temporary_password."));

describe("the fields a page of users is read with", () => {
  it.each(readable)("give the same message as the whole row for a mask of %s", (path) => {
    const paths = userReadMask([path]);
    for (const row of [whole, withoutPicture]) expect(toUserMessage(projected(row, paths), paths, options)).toEqual(toUserMessage(row, paths, options));
  });

  it("give the same message for every readable path at once, and leave out what a narrow mask does not show", () => {
    const all = userReadMask(readable);
    expect(toUserMessage(projected(whole, all), all, options)).toEqual(toUserMessage(whole, all, options));
    expect([...userRowFields(userReadMask(["name", "state"]))].sort()).toEqual(["createdAt", "deletedAt", "id", "name", "state", "updatedAt", "userId"]);
  });
});
