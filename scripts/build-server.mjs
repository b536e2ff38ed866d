// Compiles the server (server/, gen/, prisma/generated/) to plain JavaScript in build/, one file per source file,
// so `npm start` and `npm run cli` run JavaScript instead of transpiling TypeScript at every start. Uses esbuild
// (a production dependency, so `npm ci --omit=dev` can build too); type checking stays with `npm run typecheck`.
// Files beside the code (mail templates, word lists) are copied, and build/web points at web/, so every lookup
// relative to a module finds the same file as under tsx.
//   node scripts/build-server.mjs              build
//   node scripts/build-server.mjs --if-stale   build only when a source is newer than the last build (prestart)
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

const OUT = "build";
const STAMP = path.join(OUT, ".built");
const SOURCES = ["server", "gen", "prisma/generated"];

function walk(dir, files = []) {
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, files);
    else files.push(full);
  }
  return files;
}

const files = SOURCES.flatMap((dir) => walk(dir));
const isCode = (file) => file.endsWith(".ts") && !file.endsWith(".d.ts");

if (process.argv.includes("--if-stale") && existsSync(STAMP)) {
  const built = statSync(STAMP).mtimeMs;
  const newest = Math.max(...files.map((f) => statSync(f).mtimeMs), statSync("package.json").mtimeMs);
  if (newest <= built) process.exit(0);
}

const started = performance.now();
const esbuild = await import("esbuild");
rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints: files.filter(isCode),
  outdir: OUT,
  outbase: ".",
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});
for (const file of files.filter((f) => f.startsWith("server/") && !isCode(f))) {
  mkdirSync(path.dirname(path.join(OUT, file)), { recursive: true });
  copyFileSync(file, path.join(OUT, file));
}
symlinkSync("../web", path.join(OUT, "web"), "dir"); // the console's files, built separately into web/dist
writeFileSync(STAMP, "");
console.error(`build: server compiled to ${OUT}/ in ${Math.round(performance.now() - started)} ms`);
