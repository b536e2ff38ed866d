// The cache's own guarantees, apart from the database: a read that raced a change is not stored, and nothing is
// served while announcements could be missed.
import { describe, expect, it } from "vitest";
import { ChangeCache } from "../../server/store/change-cache.js";

function feed() {
  const listeners: ((payload: string) => void)[] = [];
  return {
    live: true,
    onChange(listener: (payload: string) => void) { listeners.push(listener); },
    announce(payload: string) { for (const l of listeners) l(payload); },
  };
}

describe("ChangeCache", () => {
  it("drops what a change names: the credential, or every credential of its owner", () => {
    const changes = feed();
    const cache = new ChangeCache<{ ownerId: string }>(changes);
    cache.put("k:a", cache.begin(), { ownerId: "u1" });
    cache.put("s:b", cache.begin(), { ownerId: "u1" });
    cache.put("k:c", cache.begin(), { ownerId: "u2" });
    changes.announce("k:a");
    expect([cache.get("k:a"), cache.get("s:b")?.ownerId]).toEqual([undefined, "u1"]);
    changes.announce("u:u1");
    expect([cache.get("s:b"), cache.get("k:c")?.ownerId]).toEqual([undefined, "u2"]);
    changes.announce("*");
    expect(cache.size).toBe(0);
  });

  it("does not store a value read before a change was announced", () => {
    const changes = feed();
    const cache = new ChangeCache<{ ownerId: string }>(changes);
    const generation = cache.begin(); // a read starts…
    changes.announce("k:other"); // …any change commits meanwhile…
    cache.put("k:a", generation, { ownerId: "u1" }); // …and what it read may predate it
    expect(cache.get("k:a")).toBeUndefined();
  });

  it("serves nothing while announcements could be missed", () => {
    const changes = feed();
    const cache = new ChangeCache<{ ownerId: string }>(changes);
    cache.put("k:a", cache.begin(), { ownerId: "u1" });
    changes.live = false;
    expect(cache.get("k:a")).toBeUndefined();
    cache.put("k:b", cache.begin(), { ownerId: "u1" });
    changes.live = true;
    expect(cache.get("k:b")).toBeUndefined();
  });

  it("keeps at most maxEntries and forgets entries older than maxAgeMs", () => {
    const changes = feed();
    const small = new ChangeCache<{ ownerId: string }>(changes, { maxEntries: 2 });
    for (const key of ["k:1", "k:2", "k:3"]) small.put(key, small.begin(), { ownerId: "u" });
    expect([small.get("k:1"), small.size]).toEqual([undefined, 2]);
    const brief = new ChangeCache<{ ownerId: string }>(changes, { maxAgeMs: -1 }); // already too old when stored
    brief.put("k:1", brief.begin(), { ownerId: "u" });
    expect(brief.get("k:1")).toBeUndefined();
  });
});
