// The operator CLI two ways: `runCli` runs its commands inside the test process (fast: no process start, no
// TypeScript compile), `spawnCli` starts it as an operator does. Suites use spawnCli once to prove the entry point,
// runCli for everything else.
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig, type Config } from "../../server/config.js";
import { directContext, runOperatorCommand } from "../../server/operator-commands.js";

export interface CliRun { code: number; stdout: string; stderr: string }

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Only what the CLI needs: nothing (e.g. DATABASE_URL) leaks in from the test environment. */
const cliEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), LOG_LEVEL: "silent", ...env });

export function spawnCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(path.join(root, "node_modules/.bin/tsx"), ["server/cli.ts", ...args], { cwd: root, env: cliEnv(env), timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * The CLI's command runner in this process, on a database it opens for the command (as the CLI does when no
 * server holds the embedded database), with `env` as the whole environment.
 */
export async function runCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  let config: Config;
  try {
    config = loadConfig(cliEnv(env));
  } catch (err) {
    if (err instanceof ConfigError) return { code: 1, stdout: "", stderr: `configuration error: ${err.message}\n` };
    throw err;
  }
  return runWithConfig(config, ...args);
}

/** The command on `config`'s database, opened for it, with what it prints captured. */
export async function runWithConfig(config: Config, ...args: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runOperatorCommand(args, directContext(config), {
    out: (line) => stdout.push(`${line}\n`), err: (line) => stderr.push(`${line}\n`),
  });
  return { code, stdout: stdout.join(""), stderr: stderr.join("") };
}
