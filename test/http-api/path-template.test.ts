// google.api.http path templates: parsing, matching and which of two matching templates wins.
import { describe, expect, it } from "vitest";
import { compareSpecificity, matchPath, parsePathTemplate, TemplateError } from "../../server/transport/http-api/path-template.js";

const match = (template: string, path: string) => {
  const values = matchPath(parsePathTemplate(template), path);
  return values && Object.fromEntries(values);
};

describe("path templates", () => {
  it("binds single-segment variables, nested field paths included", () => {
    expect(match("/users/{user_ids.user_id}", "/users/alice")).toEqual({ "user_ids.user_id": "alice" });
    expect(match("/users/{user_ids.user_id}/api-keys/{key_id}", "/users/alice/api-keys/K1")).toEqual({ "user_ids.user_id": "alice", key_id: "K1" });
    expect(match("/auth_info", "/auth_info")).toEqual({});
  });

  it("matches literals exactly and needs the same number of segments", () => {
    expect(match("/users/{user_id}/rights", "/users/alice/purge")).toBeUndefined();
    expect(match("/users/{user_id}", "/users/alice/rights")).toBeUndefined();
    expect(match("/users/{user_id}", "/users")).toBeUndefined();
    expect(match("/users/{user_id}", "/users/")).toBeUndefined(); // an empty segment is no value
    expect(match("/users", "/users/")).toBeUndefined();
  });

  it("percent-decodes each segment, so an encoded slash stays inside its variable", () => {
    expect(match("/users/{user_id}", "/users/a%2Fb")).toEqual({ user_id: "a/b" });
    expect(match("/users/{user_id}", "/users/%E2%82%AC")).toEqual({ user_id: "€" });
    expect(match("/users/{user_id}", "/users/%E2%82")).toBeUndefined(); // not UTF-8
  });

  it("supports variables over several segments, wildcards, ** and verbs", () => {
    expect(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/1/books/2")).toEqual({ name: "shelves/1/books/2" });
    expect(match("/v1/{name=shelves/*}", "/v1/books/1")).toBeUndefined();
    expect(match("/files/{path=**}", "/files/a/b/c")).toEqual({ path: "a/b/c" });
    expect(match("/files/{path=**}", "/files")).toEqual({ path: "" });
    expect(match("/*/items", "/any/items")).toEqual({});
    expect(match("/users/{user_id}:restore", "/users/alice:restore")).toEqual({ user_id: "alice" });
    expect(match("/users/{user_id}:restore", "/users/alice")).toBeUndefined();
  });

  it("refuses malformed templates at start-up", () => {
    for (const bad of ["users", "/users/{user_id", "/users/{a{b}}", "/a/**/b", "/users/{1bad}", "/users/a b", "/x/{a=b/{c}}"]) {
      expect(() => parsePathTemplate(bad), bad).toThrow(TemplateError);
    }
  });

  it("prefers the more specific of two matching templates", () => {
    const sorted = ["/users/{user_id}", "/users/**", "/users/me"].map(parsePathTemplate).sort(compareSpecificity).map((t) => t.template);
    expect(sorted).toEqual(["/users/me", "/users/{user_id}", "/users/**"]);
  });
});
