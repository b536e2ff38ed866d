// Field-mask paths and validation rules come from the descriptors: what the proto has is what is accepted.
import { describe, expect, it } from "vitest";
import { AuthenticationProviderRegistry } from "../../gen/tti/lorawan/v3/authentication_provider_pb.js";
import { APIKeySchema } from "../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserSchema } from "../../gen/ttn/lorawan/v3/user_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { fieldPaths } from "../../server/domain/field-paths.js";
import { validationRules } from "../../server/services/index.js";
import { maskedBy, procedureKey } from "../../server/transport/validation.js";

describe("field paths from descriptors", () => {
  it("lists every field and nested message field, sorted, without descending into well-known types", () => {
    expect(fieldPaths(APIKeySchema)).toEqual(["created_at", "expires_at", "id", "key", "name", "rights", "updated_at"]);
    const user = fieldPaths(UserSchema);
    expect(user).toContain("ids.user_id");
    expect(user).toContain("console_preferences.dashboard_layouts.api_key");
    expect(user).toContain("profile_picture.embedded.mime_type");
    expect(user.some((p) => p.startsWith("created_at."))).toBe(false);
    expect(user).toEqual([...user].sort());
  });
});

describe("validation rules keyed by descriptors", () => {
  it("key each rule by the procedure Connect dispatches", () => {
    expect(procedureKey(UserRegistry.method.update)).toBe("ttn.lorawan.v3.UserRegistry/Update");
    expect(Object.keys(validationRules.masked)).toEqual([
      "ttn.lorawan.v3.UserRegistry/Update", "tti.lorawan.v3.AuthenticationProviderRegistry/Update",
    ]);
  });

  it("refuse at start-up a masked rule naming fields its request does not have", () => {
    expect(() => maskedBy(UserRegistry.method.update, { target: "nope" as "user", mask: "fieldMask", always: [] })).toThrow(/UserRegistry\/Update/);
    expect(() => maskedBy(AuthenticationProviderRegistry.method.update, { target: "authenticationProvider", mask: "authenticationProvider", always: [] })).toThrow();
  });
});
