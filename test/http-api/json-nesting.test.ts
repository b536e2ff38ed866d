// The nesting guard against JSON.parse's own reading of the same text: random documents (strings full of quotes,
// backslashes and brackets included), cut into chunks at random places, including inside escapes.
import { describe, expect, it } from "vitest";
import { JsonNestingGuard } from "../../server/transport/json-nesting.js";

/** A tiny deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = ['"', "\\", "[", "]", "{", "}", "\\\\", '\\"', "é", "😀", "a", " "];

function value(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 0 && r < 0.35) return Array.from({ length: Math.floor(rand() * 3) }, () => value(rand, depth - 1));
  if (depth > 0 && r < 0.7) return Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, (_, i) => [`${TRICKY[Math.floor(rand() * TRICKY.length)]}${i}`, value(rand, depth - 1)]));
  if (r < 0.9) return Array.from({ length: Math.floor(rand() * 6) }, () => TRICKY[Math.floor(rand() * TRICKY.length)]).join("");
  return rand() < 0.5 ? 42 : null;
}

/** Nesting as JSON.parse sees it: every array and object is a level. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

function accepts(bytes: Uint8Array, max: number, cuts: number[]): boolean {
  const guard = new JsonNestingGuard(max);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (!guard.push(bytes.subarray(from, cut))) return false;
    from = cut;
  }
  return true;
}

describe("JsonNestingGuard", () => {
  it("agrees with JSON.parse on how deep random documents nest, however they are cut into chunks", () => {
    const rand = random(8);
    for (let n = 0; n < 2000; n++) {
      const doc = value(rand, 1 + Math.floor(rand() * 6));
      const bytes = new TextEncoder().encode(JSON.stringify(doc));
      const depth = depthOf(JSON.parse(JSON.stringify(doc)));
      const cuts = Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * bytes.length)).sort((a, b) => a - b);
      expect(accepts(bytes, depth, cuts), JSON.stringify(doc)).toBe(true);
      if (depth > 0) expect(accepts(bytes, depth - 1, cuts), JSON.stringify(doc)).toBe(false);
    }
  });

  it("stops at the first level too many, without reading on", () => {
    const guard = new JsonNestingGuard(3);
    expect(guard.push(new TextEncoder().encode('{"a":[{"b":"[[[[\\"[["}]'))).toBe(true);
    expect(guard.push(new TextEncoder().encode(',"c":[[[1]]]}'))).toBe(false);
  });
});
