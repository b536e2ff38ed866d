// The child process that computes argon2 hashes for password-hash.ts, at a lower CPU priority than the server:
// a login storm then takes only the CPU that serving other calls leaves over. Plain JavaScript, so the same file
// runs from server/ (tests, tsx) and build/server/ (npm start, copied there by the build).
// Messages: { id, op: "hash" | "verify", args } in; { id, ok, value } or { id, ok: false, error } out.
import argon2 from "argon2";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import os from "node:os";

// PASSWORD_HASH_PRIORITY (set by password-hash.ts from the configuration):
// - "idle": Linux's SCHED_IDLE policy, set with util-linux's chrt. The hash runs only on a core that nothing else
//   wants at that moment, and any other thread that wakes up takes the core from it at once. At nice 5 a storm's
//   back-to-back hashes still doubled the p99 of other calls on two cores; at SCHED_IDLE they did not.
// - "low", or "idle" where chrt is missing: nice 5. Under contention Linux gives a thread of nice 0 three times
//   the CPU time of this one, so hashing still gets a share when every core is busy.
const priority = process.env.PASSWORD_HASH_PRIORITY ?? "idle";

/** SCHED_IDLE for every thread there is now; threads started later (libuv's pool that runs the hashes) inherit it. */
function schedIdle() {
  try {
    execFileSync("chrt", ["--idle", "--all-tasks", "--pid", "0", String(process.pid)], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false; // not Linux, or no chrt
  }
}

/** nice 5. On Linux a priority belongs to a thread: every thread there is now is lowered, later ones inherit it. */
function lowerNice() {
  try {
    for (const tid of readdirSync("/proc/self/task")) os.setPriority(Number(tid), 5);
  } catch {
    try { os.setPriority(0, 5); } catch { /* not permitted: hash at normal priority */ }
  }
}

if (!(priority === "idle" && schedIdle())) lowerNice();

process.on("message", async ({ id, op, args }) => {
  try {
    const value = op === "hash" ? await argon2.hash(args[0], args[1]) : await argon2.verify(args[0], args[1]);
    process.send({ id, ok: true, value });
  } catch (err) {
    process.send({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
// The server went away (or closed the channel): nothing is left to hash for.
process.on("disconnect", () => process.exit(0));
