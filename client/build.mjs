// Builds the package into dist/: ESM JavaScript bundled by esbuild (client/ + the generated code of ../gen it
// imports, and buf.validate's descriptor, which the generated files reference), with Connect and protobuf-es
// left as dependencies; declarations by tsc (dist/types). Run by `npm run build` and before `npm pack`.
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const require = createRequire(import.meta.url);
const { dependencies } = require("./package.json");

const { build } = await import("esbuild");
const result = await build({
  absWorkingDir: here,
  entryPoints: ["index.ts", "node.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  // A dependency stays an import (its subpaths too), so apps share one copy with their other Connect code.
  external: Object.keys(dependencies),
  logLevel: "warning",
  metafile: true,
});
// Chunks of an earlier build go; nothing is emptied first, so a test packing at the same time never sees a gap.
const outputs = new Set(Object.keys(result.metafile.outputs).map((p) => path.basename(p)));
for (const file of readdirSync(path.join(here, "dist"))) if (file.endsWith(".js") && !outputs.has(file)) rmSync(path.join(here, "dist", file));
const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: here, stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
