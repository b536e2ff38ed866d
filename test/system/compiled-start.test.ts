// `npm start` runs the compiled server (build/): it must start from there, answer, and stop cleanly, so a source file
// the build leaves out (or an asset it does not carry) fails here rather than on a user's machine.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

it("starts from build/, answers an RPC and stops on SIGTERM", { timeout: 180_000 }, async () => {
  await promisify(execFile)(process.execPath, ["scripts/build-server.mjs", "--if-stale"], { cwd: root });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "ttnid-compiled-"));
  const child = spawn(process.execPath, ["build/server/main.js"], {
    cwd: root, env: { ...process.env, HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let output = "";
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        output += d;
        const match = /"port":(\d+)[^\n]*identity server listening/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.stderr.on("data", (d) => { output += d; });
      child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/ttn.lorawan.v3.EntityAccess/AuthInfo`, {
      method: "POST", headers: { "content-type": "application/json" }, body: "{}",
    });
    expect(res.status).toBe(200);
    // The password hasher runs from the start (its fork never pauses a busy server) and ends with the server.
    const hasher = childProcesses(child.pid!).find((c) => c.command.includes("password-hasher.mjs"));
    expect(hasher).toBeDefined();
    // It yields the CPU to everything else (SCHED_IDLE, policy 5: field 41 of its stat line).
    const policy = () => Number(readFileSync(`/proc/${hasher!.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[41 - 3]);
    await expect.poll(policy, { timeout: 10_000 }).toBe(5);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect.poll(() => existsSync(`/proc/${hasher!.pid}`), { timeout: 10_000 }).toBe(false);
  } finally {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** The child processes of `pid` and their command lines (Linux /proc). */
function childProcesses(pid: number): { pid: number; command: string }[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map((child) => ({
    pid: Number(child),
    command: readFileSync(`/proc/${child}/cmdline`, "utf8").replaceAll("\0", " "),
  }));
}
