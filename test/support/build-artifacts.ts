// Vitest global setup: the SDK (client/dist) and the console (web/dist) that the SDK and e2e tests use, rebuilt only
// when their sources are newer than the build (`npm install` builds them too, via postinstall).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function newest(paths: string[]): number {
  let latest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      if (path.basename(p) !== "dist") for (const entry of readdirSync(p)) visit(path.join(p, entry)); // an output is no source
    } else latest = Math.max(latest, s.mtimeMs);
  };
  for (const p of paths) visit(path.join(root, p));
  return latest;
}

function stale(output: string, sources: string[]): boolean {
  const out = path.join(root, output);
  return !existsSync(out) || statSync(out).mtimeMs < newest(sources);
}

export default function setup(): void {
  const sdkSources = ["client", "gen"];
  const build = (what: string) => execFileSync(process.execPath, ["scripts/build.mjs", what], { cwd: root, stdio: "inherit" });
  if (stale("client/dist/node.js", sdkSources)) build("client");
  if (stale("web/dist/index.html", [...sdkSources, "web/src", "web/index.html", "web/vite.config.ts"])) build("console");
}
