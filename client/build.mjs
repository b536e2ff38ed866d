// Builds the package into dist/: ESM JavaScript bundled by esbuild (client/ + the generated code of ../gen it
// imports, and buf.validate's descriptor, which the generated files reference), with Connect and protobuf-es
// left as dependencies; declarations by tsc (dist/types). Run by `npm run build` and before `npm pack`.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const require = createRequire(import.meta.url);
const { dependencies } = require("./package.json");

rmSync(new URL("dist", import.meta.url), { recursive: true, force: true });
const { build } = await import("esbuild");
await build({
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
});
const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: here, stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
