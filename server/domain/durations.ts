// Go-style duration strings ("24h", "1h30m", "90m") as used by upstream configuration, so operators can copy
// values from a TTS config. `d` (24h) is our extension for CLI convenience; Go has no day unit.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

// Longest unit first so "ms" is not read as "m" followed by garbage.
const COMPONENT = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/** Parses e.g. "24h", "1h30m", "1.5h", "500ms", "7d" into milliseconds. "0" alone means zero. */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === "0") return 0;
  if (input === "") throw new Error(`invalid duration "${text}": empty`);

  let total = 0;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < input.length) {
    const start = COMPONENT.lastIndex;
    const match = COMPONENT.exec(input);
    if (!match) {
      throw new Error(
        `invalid duration "${text}" at "${input.slice(start)}": expected <number><unit> with unit ms, s, m, h or d (e.g. "24h", "1h30m")`,
      );
    }
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (!Number.isSafeInteger(Math.round(total))) throw new Error(`invalid duration "${text}": too large`);
  return Math.round(total);
}

/** A duration for people, e.g. in e-mails: "7 days", "1 hour", "90 minutes". */
export function describeDuration(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return plural(ms / 86_400_000, "day");
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return plural(ms / 3_600_000, "hour");
  if (ms >= 60_000) return plural(Math.round(ms / 60_000), "minute");
  return plural(Math.max(1, Math.round(ms / 1000)), "second");
}
