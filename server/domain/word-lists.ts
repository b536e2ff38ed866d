// Loads the bundled one-entry-per-line data files (reserved IDs, common passwords) once at import time,
// so lookups are O(1) and a missing file fails start-up instead of a request.
import { readFileSync } from "node:fs";

export function loadWordList(fileName: string): ReadonlySet<string> {
  const text = readFileSync(new URL(`./data/${fileName}`, import.meta.url), "utf8");
  return new Set(
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== ""),
  );
}
