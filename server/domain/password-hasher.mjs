// The child process that computes argon2 hashes for password-hash.ts, at a lower CPU priority than the server:
// a login storm then takes only the CPU that serving other calls leaves over. Plain JavaScript, so the same file
// runs from server/ (tests, tsx) and build/server/ (npm start, copied there by the build).
// Messages: { id, op: "hash" | "verify", args } in; { id, ok, value } or { id, ok: false, error } out.
import argon2 from "argon2";
import { readdirSync } from "node:fs";
import os from "node:os";

// 5: under contention Linux gives a thread of nice 0 three times the CPU time of this one (10 would be nine times,
// but lets other busy programs on the machine starve logins).
const nice = 5;
// On Linux a priority belongs to a thread: lower every thread there is now (threads started later, such as
// libuv's pool that runs the hashes, inherit it from the main thread).
try {
  for (const tid of readdirSync("/proc/self/task")) os.setPriority(Number(tid), nice);
} catch {
  try { os.setPriority(0, nice); } catch { /* not permitted: hash at normal priority */ }
}

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
