// The node arguments `npm start` runs the server with (package.json's start script without its leading `node`), so
// the benchmark and the tests that start compiled instances run them exactly as `npm start` does.
import { readFileSync } from "node:fs";

/** @returns {string[]} e.g. ["--v8-pool-size=1", "build/server/main.js"] */
export function startArgs() {
  const { scripts } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const [node, ...args] = scripts.start.trim().split(/\s+/);
  if (node !== "node") throw new Error(`package.json's start script does not run node: ${scripts.start}`);
  return args;
}
