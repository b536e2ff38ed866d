// Builds the SDK package (client/build.mjs: client/ + gen/ → client/dist, JS and .d.ts) and the console (web/ →
// web/dist). Runs at install (postinstall) so a fresh clone is ready; `--if-tools` skips with a notice when the dev
// tools are absent (`npm install --omit=dev`), since the server runs without the console.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const ifTools = process.argv.includes("--if-tools");
const only = process.argv.find((a) => a === "client" || a === "console");

if (ifTools && !(existsSync("node_modules/typescript/bin/tsc") && existsSync("node_modules/vite/package.json"))) {
  console.warn("build: typescript or vite not installed (production install?): SDK and console not built");
  process.exit(0);
}

if (only !== "console") {
  const sdk = spawnSync(process.execPath, ["client/build.mjs"], { stdio: "inherit" });
  if (sdk.status !== 0) process.exit(sdk.status ?? 1);
}
if (only !== "client") {
  const { build } = await import("vite");
  await build({ configFile: "web/vite.config.ts", logLevel: "warn" });
}
