// Translation between stored user rows and ttn.lorawan.v3.User messages, honouring read masks.
import { createHash } from "node:crypto";
import { create, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { ContactMethod, ContactType } from "../../gen/ttn/lorawan/v3/contact_info_pb.js";
import { PictureSchema, type Picture } from "../../gen/ttn/lorawan/v3/picture_pb.js";
import { UserConsolePreferencesSchema, UserSchema, type User, type UserConsolePreferences } from "../../gen/ttn/lorawan/v3/user_pb.js";
import type { Config } from "../config.js";
import { absolutePictureUrl } from "../domain/profile-pictures.js";
import { selects } from "../domain/user-paths.js";
import type { UserRow } from "../store/users.js";

export const ts = (d: Date | null | undefined): Timestamp | undefined => (d ? timestampFromDate(d) : undefined);
export const date = (t: Timestamp | undefined): Date | null => (t ? timestampDate(t) : null);

export const preferencesToJson = (p: UserConsolePreferences): JsonValue => toJson(UserConsolePreferencesSchema, p);

/** How stored users become messages: the Gravatar fallback, and the base that relative picture paths resolve to. */
export interface UserMessageOptions {
  gravatar: boolean;
  publicUrl: string;
}

export const userMessageOptions = (config: Config): UserMessageOptions => ({
  gravatar: config.profilePicture.useGravatar, publicUrl: config.publicUrl,
});

/**
 * The stored picture as readers see it: only its sizes, relative ones (our own uploads) absolute
 * under PUBLIC_URL; undefined when there are none. Embedded data is never returned (rows written before
 * pictures were processed may still hold it).
 */
function storedPicture(stored: unknown, publicUrl: string): Picture | undefined {
  const sizes = (stored as { sizes?: Record<string, unknown> } | null)?.sizes;
  const entries = Object.entries(sizes ?? {}).filter((e): e is [string, string] => typeof e[1] === "string");
  if (!entries.length) return undefined;
  return create(PictureSchema, { sizes: Object.fromEntries(entries.map(([k, url]) => [Number(k), absolutePictureUrl(url, publicUrl)])) });
}

const GRAVATAR_SIZES = [64, 128, 256, 512];

/** Upstream shows a Gravatar for users without a picture (is.profile-picture.use-gravatar, on by default). */
function gravatar(email: string): Picture {
  const hash = createHash("md5").update(email.trim().toLowerCase()).digest("hex");
  return create(PictureSchema, {
    sizes: Object.fromEntries(GRAVATAR_SIZES.map((s) => [s, `https://www.gravatar.com/avatar/${hash}?s=${s}&d=404`])),
  });
}

/** Keeps the selected second-level fields of a stored sub-message (e.g. console_preferences.sort_by). */
function pickNested(paths: readonly string[], field: string, whole: Record<string, unknown>): Record<string, unknown> {
  if (paths.includes(field)) return whole;
  const keys = paths.filter((p) => p.startsWith(`${field}.`)).map((p) => p.split(".")[1]!);
  return Object.fromEntries(Object.entries(whole).filter(([k]) => keys.some((key) => k === key || k === camel(key))));
}
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The row fields toUserMessage reads for each top-level path (ids, userId and deletedAt it always reads): a page of
 * users read for a mask needs only these. Kept in step with toUserMessage by test/services/user-row-fields.test.ts.
 */
const ROW_FIELDS_OF_PATH: Record<string, (keyof UserRow)[]> = {
  created_at: ["createdAt"],
  updated_at: ["updatedAt"],
  name: ["name"],
  description: ["description"],
  attributes: ["attributes"],
  primary_email_address: ["primaryEmailAddress"],
  primary_email_address_validated_at: ["primaryEmailAddressValidatedAt"],
  contact_info: ["primaryEmailAddress", "primaryEmailAddressValidatedAt"],
  password_updated_at: ["passwordUpdatedAt"],
  require_password_update: ["requirePasswordUpdate"],
  state: ["state"],
  state_description: ["stateDescription"],
  admin: ["admin"],
  temporary_password_created_at: ["temporaryPasswordCreatedAt"],
  temporary_password_expires_at: ["temporaryPasswordExpiresAt"],
  profile_picture: ["profilePicture", "primaryEmailAddress"], // the Gravatar fallback hashes the address
  console_preferences: ["consolePreferences"],
};

/** The fields of a user row that toUserMessage(row, paths) reads. */
export function userRowFields(paths: readonly string[]): Set<keyof UserRow> {
  const fields = new Set<keyof UserRow>(["id", "userId", "deletedAt"]);
  for (const [path, needs] of Object.entries(ROW_FIELDS_OF_PATH)) if (selects(paths, path)) for (const f of needs) fields.add(f);
  return fields;
}

/** Builds the User message with exactly the fields of `paths` (a mask already normalised by userReadMask). */
export function toUserMessage(row: UserRow, paths: readonly string[], options: UserMessageOptions): User {
  const user = create(UserSchema, { ids: { userId: row.userId } });
  const has = (f: string) => selects(paths, f);
  if (has("created_at")) user.createdAt = ts(row.createdAt);
  if (has("updated_at")) user.updatedAt = ts(row.updatedAt);
  user.deletedAt = ts(row.deletedAt); // always copied
  if (has("name")) user.name = row.name;
  if (has("description")) user.description = row.description;
  if (has("attributes")) user.attributes = Object.fromEntries(row.attributes.map((a) => [a.key, a.value]));
  if (has("primary_email_address")) user.primaryEmailAddress = row.primaryEmailAddress;
  if (has("primary_email_address_validated_at")) user.primaryEmailAddressValidatedAt = ts(row.primaryEmailAddressValidatedAt);
  if (has("contact_info")) {
    // Contact info is deprecated and never stored: it is the primary e-mail address seen through the old shape.
    user.primaryEmailAddress = row.primaryEmailAddress;
    user.primaryEmailAddressValidatedAt = ts(row.primaryEmailAddressValidatedAt);
    user.contactInfo = [{
      $typeName: "ttn.lorawan.v3.ContactInfo", contactType: ContactType.OTHER, contactMethod: ContactMethod.EMAIL,
      value: row.primaryEmailAddress, public: false, validatedAt: ts(row.primaryEmailAddressValidatedAt),
    }];
  }
  if (has("password_updated_at")) user.passwordUpdatedAt = ts(row.passwordUpdatedAt);
  if (has("require_password_update")) user.requirePasswordUpdate = row.requirePasswordUpdate;
  if (has("state")) user.state = row.state;
  if (has("state_description")) user.stateDescription = row.stateDescription;
  if (has("admin")) user.admin = row.admin;
  if (has("temporary_password_created_at")) user.temporaryPasswordCreatedAt = ts(row.temporaryPasswordCreatedAt);
  if (has("temporary_password_expires_at")) user.temporaryPasswordExpiresAt = ts(row.temporaryPasswordExpiresAt);
  if (has("profile_picture")) {
    const stored = storedPicture(row.profilePicture, options.publicUrl);
    if (stored) {
      user.profilePicture = fromJson(PictureSchema, pickNested(paths, "profile_picture", toJson(PictureSchema, stored) as Record<string, unknown>) as JsonValue);
    } else if (options.gravatar) {
      user.profilePicture = gravatar(row.primaryEmailAddress);
    }
  }
  if (has("console_preferences")) {
    // Upstream always returns an object when the field is selected, even if nothing was stored.
    const stored = (row.consolePreferences ?? {}) as Record<string, unknown>;
    user.consolePreferences = fromJson(UserConsolePreferencesSchema, pickNested(paths, "console_preferences", stored) as JsonValue);
  }
  return user;
}

/** The public projection: what any authenticated caller may see; non-public contact info is removed. */
export function publicOnly(user: User): User {
  user.contactInfo = user.contactInfo.filter((c) => c.public);
  // contact_info is synthesised from the e-mail address, which itself is not public.
  user.primaryEmailAddress = "";
  user.primaryEmailAddressValidatedAt = undefined;
  return user;
}
