// Request messages from HTTP requests, as grpc-gateway builds them: bindings read from the protos' google.api.http
// options, then body, path variables and query string in that order of precedence.
import { describe, expect, it } from "vitest";
import { anyTypes } from "../../client/any-types.js";
import { State } from "../../gen/ttn/lorawan/v3/enums_pb.js";
import { NotificationService, NotificationStatus } from "../../gen/ttn/lorawan/v3/notification_service_pb.js";
import { EntityRegistrySearch } from "../../gen/ttn/lorawan/v3/search_services_pb.js";
import { UserRegistry } from "../../gen/ttn/lorawan/v3/user_services_pb.js";
import { ServiceError } from "../../server/domain/errors.js";
import { httpBindings, type HttpBinding } from "../../server/transport/http-api/bindings.js";
import { matchPath } from "../../server/transport/http-api/path-template.js";
import { requestMessage } from "../../server/transport/http-api/request-message.js";
import type { Json } from "../../server/transport/upstream-json.js";

const only = (bindings: HttpBinding[]) => {
  expect(bindings).toHaveLength(1);
  return bindings[0]!;
};

/** The request message for `url` (path and query) and an optional JSON body. */
function build(binding: HttpBinding, url: string, body?: Json): any {
  const [path, query = ""] = url.split("?", 2) as [string, string?];
  const pathValues = matchPath(binding.path, path);
  expect(pathValues, `${url} matches ${binding.path.template}`).toBeDefined();
  return requestMessage(binding, { pathValues: pathValues!, query: new URLSearchParams(query), body }, anyTypes);
}

function failure(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServiceError) return err;
    throw err;
  }
  throw new Error("expected a ServiceError");
}

describe("bindings from google.api.http options", () => {
  it("reads the rule, its path variables and body", () => {
    const update = only(httpBindings([UserRegistry.method.update]));
    expect(update).toMatchObject({ httpMethod: "PUT", body: "*", responseBody: "" });
    expect(update.path.variables.map((v) => v.fieldPath)).toEqual(["user.ids.user_id"]);
  });

  it("serves additional_bindings, and no route for a rule without a pattern of its own", () => {
    const list = only(httpBindings([NotificationService.method.list]));
    expect(list.httpMethod).toBe("GET");
    expect(list.path.template).toBe("/users/{receiver_ids.user_id}/notifications");
  });

  it("skips methods without an HTTP rule", () => {
    expect(httpBindings([NotificationService.method.create])).toEqual([]);
  });
});

describe("query parameters", () => {
  const search = only(httpBindings([EntityRegistrySearch.method.searchUsers]));

  it("reads scalars, booleans, repeated enums by name (with or without prefix) or number, field masks and maps", () => {
    const req = build(search, "/search/users?query=ali&limit=5&page=2&deleted=true&state=STATE_APPROVED&state=REJECTED&state=4"
      + "&field_mask=name,primary_email_address,console_preferences.console_theme&attributes_contain[team]=blue");
    expect(req.query).toBe("ali");
    expect(req.limit).toBe(5);
    expect(req.page).toBe(2);
    expect(req.deleted).toBe(true);
    expect(req.state).toEqual([State.APPROVED, State.REJECTED, State.SUSPENDED]);
    expect(req.fieldMask.paths).toEqual(["name", "primary_email_address", "console_preferences.console_theme"]);
    expect(req.attributesContain).toEqual({ team: "blue" });
  });

  it("accepts JSON names too, and ignores parameters that name no field", () => {
    const req = build(search, "/search/users?idContains=al&unknown=1&field_mask.paths=name&field_mask.paths=state");
    expect(req.idContains).toBe("al");
    expect(req.fieldMask.paths).toEqual(["name", "state"]);
  });

  it("refuses values that do not fit their field, naming the field", () => {
    for (const [query, field] of [["limit=ten", "limit"], ["deleted=yes", "deleted"], ["state=STATE_NONE", "state"], ["limit=1&limit=2", "limit"]]) {
      const err = failure(() => build(search, `/search/users?${query}`));
      expect(`${err.namespace}:${err.name}`).toBe("pkg/errors:validation");
      expect(err.attributes.field).toBe(field);
    }
  });

  it("sets nested fields, and never a field the path sets", () => {
    const list = only(httpBindings([NotificationService.method.list]));
    const req = build(list, "/users/alice/notifications?receiver_ids.user_id=mallory&status=NOTIFICATION_STATUS_SEEN&limit=3");
    expect(req.receiverIds.userId).toBe("alice");
    expect(req.status).toEqual([NotificationStatus.SEEN]);
    expect(req.limit).toBe(3);
    const get = only(httpBindings([UserRegistry.method.get]));
    expect(build(get, "/users/alice?user_ids.email=a%40example.com").userIds).toMatchObject({ userId: "alice", email: "a@example.com" });
  });
});

describe("bodies", () => {
  const update = only(httpBindings([UserRegistry.method.update]));

  it("reads the whole request from the body in upstream's JSON dialect, the path winning, the query unused", () => {
    const req = build(update, "/users/alice?field_mask=state", {
      user: { ids: { user_id: "mallory" }, name: "Alice", state: "STATE_SUSPENDED", unknownField: 1 },
      field_mask: { paths: ["name", "state"] },
    });
    expect(req.user.ids.userId).toBe("alice");
    expect(req.user.name).toBe("Alice");
    expect(req.user.state).toBe(State.SUSPENDED);
    expect(req.fieldMask.paths).toEqual(["name", "state"]);
  });

  it("reads a named body into its field and the rest from the query", () => {
    const patch: HttpBinding = { ...update, httpMethod: "PATCH", body: "user" };
    const req = build(patch, "/users/alice?field_mask=name", { name: "Alice", ids: { user_id: "mallory" } });
    expect(req.user.name).toBe("Alice");
    expect(req.user.ids.userId).toBe("alice");
    expect(req.fieldMask.paths).toEqual(["name"]);
  });

  it("takes a missing or null body as an empty message", () => {
    const create_ = only(httpBindings([UserRegistry.method.create]));
    expect(build(create_, "/users").user).toBeUndefined();
    expect(build(create_, "/users", null).user).toBeUndefined();
  });

  it("refuses a body that does not decode into the request", () => {
    const err = failure(() => build(update, "/users/alice", { user: { state: { nested: true } } }));
    expect(`${err.namespace}:${err.name}`).toBe("pkg/rpcserver:request_body");
    expect(err.code).toBe(3);
  });
});
