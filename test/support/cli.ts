// The operator CLI two ways: `runCli` evaluates server/cli.ts inside the test process (fast: no process start, no
// TypeScript compile), `spawnCli` starts it as an operator does. Suites use spawnCli once to prove the entry point,
// runCli for everything else.
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { vi } from "vitest";

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
 * Runs the CLI module in this process with `args` and exactly `env` as its environment, capturing what it prints
 * and the exit code it asks for. Calls must not overlap (they swap process-wide state); tests in a file run in turn.
 */
export async function runCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let code = -1;
  const savedEnv = process.env;
  const savedArgv = process.argv;
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => { stdout.push(`${format(...a)}\n`); });
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => { stderr.push(`${format(...a)}\n`); });
  const exit = vi.spyOn(process, "exit").mockImplementation(((c?: number) => { code = c ?? 0; }) as typeof process.exit);
  try {
    process.env = cliEnv(env);
    process.argv = [savedArgv[0]!, path.join(root, "server/cli.ts"), ...args];
    vi.resetModules(); // the module runs its command when evaluated
    await import("../../server/cli.js");
  } finally {
    process.env = savedEnv;
    process.argv = savedArgv;
    log.mockRestore();
    error.mockRestore();
    exit.mockRestore();
  }
  return { code, stdout: stdout.join(""), stderr: stderr.join("") };
}
