// Compiles the server (every TypeScript file that server/main.ts and server/cli.ts import, wherever it lives) to
// plain JavaScript in build/, one file per source file, so `npm start` and `npm run cli` run JavaScript instead of
// transpiling TypeScript at every start. Uses esbuild (a production dependency, so `npm ci --omit=dev` can build
// too); type checking stays with `npm run typecheck`.
// Files beside the code (mail templates, word lists) are copied, and build/web points at web/, so every lookup
// relative to a module finds the same file as under tsx.
//   node scripts/build-server.mjs              build
//   node scripts/build-server.mjs --if-stale   build only when a source is newer than the last build (prestart)
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

const OUT = "build";
const STAMP = path.join(OUT, ".built"); // the files the last build read, as JSON
const ENTRIES = ["server/main.ts", "server/cli.ts"];

function walk(dir, files = []) {
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, files);
    else files.push(full);
  }
  return files;
}

const assets = walk("server").filter((f) => !f.endsWith(".ts"));

/** The sources the last build read, or undefined when there is no (complete) build. */
function lastInputs() {
  try {
    return JSON.parse(readFileSync(STAMP, "utf8"));
  } catch {
    return undefined;
  }
}

const previous = process.argv.includes("--if-stale") ? lastInputs() : undefined;
if (previous) {
  const built = statSync(STAMP).mtimeMs;
  const inputs = [...previous, ...assets, "package.json"];
  const newest = Math.max(...inputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : Infinity)));
  if (newest <= built) process.exit(0);
}

const started = performance.now();
const esbuild = await import("esbuild");
// Which files the server imports: esbuild's own resolution, through a bundle that is never written.
const { metafile } = await esbuild.build({
  entryPoints: ENTRIES, outdir: OUT, bundle: true, write: false, metafile: true, packages: "external", platform: "node", format: "esm", logLevel: "error",
});
const sources = Object.keys(metafile.inputs).filter((f) => f.endsWith(".ts") && !f.startsWith("node_modules/"));
rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints: sources,
  outdir: OUT,
  outbase: ".",
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});
for (const file of assets) {
  mkdirSync(path.dirname(path.join(OUT, file)), { recursive: true });
  copyFileSync(file, path.join(OUT, file));
}
symlinkSync("../web", path.join(OUT, "web"), "dir"); // the console's files, built separately into web/dist
writeFileSync(STAMP, JSON.stringify(sources));
console.error(`build: server compiled to ${OUT}/ in ${Math.round(performance.now() - started)} ms`);
