// Password (and temporary-password) hashing. New hashes are argon2id; upstream's PBKDF2 strings are still
// verified so users imported from The Things Stack can log in (callers may rehash on success, see needsRehash).
import argon2 from "argon2";
import { fork, type ChildProcess } from "node:child_process";
import { pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  invalidHash,
  invalidPbkdf2Format,
  pbkdf2Encoding,
  pbkdf2Iterations,
  unknownHashingMethod,
} from "./error-catalog.js";

const pbkdf2Async = promisify(pbkdf2);

// OWASP Password Storage Cheat Sheet floor for argon2id: 19 MiB, 2 passes, 1 lane.
// Measured on the dev container (2 vCPU, Node 20.20, argon2 0.45.1): ~40 ms per hash, ~35 ms per verify.
// Hashes run in a child process (password-hasher.mjs) at a lower CPU priority, so the event loop keeps ticking and,
// when the machine is busy, a login storm cannot take CPU time from other calls; and at most `configureHashing`'s
// concurrency run at once, so hashing never takes every core of a small machine.
const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

interface Argon2Cost {
  memoryCost: number;
  timeCost: number;
}

/** The parameters of new hashes (and of needsRehash): ARGON2_OPTIONS, except in tests. */
let argon2Options: Omit<typeof ARGON2_OPTIONS, keyof Argon2Cost> & Argon2Cost = ARGON2_OPTIONS;

/**
 * Tests only (test/support/password-hashing.ts): new hashes use `cost` (still argon2id, still verified) instead of
 * the production parameters, which cost every created user and login ~40 ms of CPU; undefined restores them.
 * Deliberately not reachable from configuration or the environment.
 */
export function setArgon2CostForTests(cost: Argon2Cost | undefined): void {
  argon2Options = cost ? { ...ARGON2_OPTIONS, ...cost } : ARGON2_OPTIONS;
}

/** How the hashing child yields the CPU (PASSWORD_HASH_PRIORITY): see password-hasher.mjs. */
export type HashPriority = "idle" | "low";

let hashSlots = 1;
let hashPriority: HashPriority = "idle";
let hashing = 0;
const waiting: (() => void)[] = [];

/**
 * How many hashes or verifications may run at once in this process (PASSWORD_HASH_CONCURRENCY), and the CPU
 * priority of the hashing child (PASSWORD_HASH_PRIORITY; a child started earlier keeps its own).
 */
export function configureHashing(options: { concurrency: number; priority: HashPriority }): void {
  hashSlots = Math.max(1, options.concurrency);
  hashPriority = options.priority;
}

/** Runs `work` once a hashing slot is free: a login storm queues here instead of starving other calls. */
async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashing < hashSlots) hashing++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // a finishing hash hands its slot over
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

let hasher: ChildProcess | undefined;
let nextRequest = 0;
const requests = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();

/** The hashing child, started on first use; it keeps this process alive only while it has work. */
function hasherProcess(): ChildProcess {
  if (hasher?.connected) return hasher;
  const child = fork(fileURLToPath(new URL("./password-hasher.mjs", import.meta.url)), [], {
    execArgv: [], // no loaders, profilers or inspectors of the server's own
    env: {
      ...process.env,
      // One pool thread per slot. Each keeps its 19 MiB hash memory between hashes (glibc's default): mapping it
      // afresh for every hash cost about 50 ms of page faults per login, more than the hash itself.
      UV_THREADPOOL_SIZE: String(hashSlots),
      PASSWORD_HASH_PRIORITY: hashPriority,
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  child.on("message", (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const request = requests.get(m.id);
    if (!request) return;
    requests.delete(m.id);
    if (!requests.size) idle(child);
    if (m.ok) request.resolve(m.value);
    else request.reject(new Error(m.error));
  });
  const gone = () => {
    if (hasher === child) hasher = undefined;
    for (const request of requests.values()) request.reject(new Error("the password hasher exited"));
    requests.clear();
  };
  child.on("exit", gone);
  child.on("error", gone);
  idle(child);
  hasher = child;
  return child;
}

/**
 * Starts the hashing child now (at start-up) instead of on the first password check: forking a process that holds a
 * busy server's memory pauses its event loop, and the first login of a storm should not pay for that.
 */
export function startPasswordHasher(): void {
  hasherProcess();
}

function idle(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

function inHasher<T>(op: "hash" | "verify", args: unknown[]): Promise<T> {
  const child = hasherProcess();
  const id = nextRequest++;
  return new Promise<T>((resolve, reject) => {
    requests.set(id, { resolve: resolve as (value: unknown) => void, reject });
    child.ref();
    child.channel?.ref();
    child.send({ id, op, args }, (err) => {
      if (err && requests.delete(id)) reject(err);
    });
  });
}

export async function hashPassword(password: string): Promise<string> {
  return withHashSlot(() => inHasher<string>("hash", [password, argon2Options]));
}

/**
 * True when `password` matches `hash`. Accepts argon2 PHC strings and upstream's
 * `PBKDF2$<sha256|sha512>$<iterations>$<salt>$<key>`; a corrupt stored hash throws an INTERNAL catalogue error
 * (it is our data that is wrong, not the caller's input).
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (hash.startsWith("$argon2")) {
    try {
      return await withHashSlot(() => inHasher<boolean>("verify", [hash, password]));
    } catch {
      throw invalidHash();
    }
  }
  // Same dispatch as upstream pkg/auth: the text before the first `$` names the method, case-insensitively.
  const separator = hash.indexOf("$");
  if (separator < 0) throw invalidHash();
  const method = hash.slice(0, separator);
  if (method.toLowerCase() !== "pbkdf2") throw unknownHashingMethod({ method });
  return verifyPbkdf2(hash, password);
}

/** True for anything that is not an argon2id hash with today's parameters, so a successful login can upgrade it. */
export function needsRehash(hash: string): boolean {
  if (!hash.startsWith("$argon2id$")) return true;
  try {
    return argon2.needsRehash(hash, argon2Options);
  } catch {
    return true;
  }
}

const PBKDF2_DIGESTS: Record<string, string> = { sha256: "sha256", sha512: "sha512" };
const BASE64URL_NO_PAD = /^[A-Za-z0-9_-]+$/;
// Upstream stores 20000 (passwords) or 1000 (secrets); the cap only stops a corrupt row from pinning a thread.
const MAX_PBKDF2_ITERATIONS = 10_000_000;

async function verifyPbkdf2(hash: string, password: string): Promise<boolean> {
  const parts = hash.split("$");
  if (parts.length !== 5) throw invalidPbkdf2Format();
  const [, algorithm, iterationsText, salt, encodedKey] = parts as [string, string, string, string, string];

  const digest = PBKDF2_DIGESTS[algorithm.toLowerCase()];
  if (!digest) throw invalidPbkdf2Format();
  if (!/^[0-9]+$/.test(iterationsText)) throw pbkdf2Iterations({ iterations: iterationsText });
  const iterations = Number(iterationsText);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw pbkdf2Iterations({ iterations: iterationsText });
  // Buffer.from(…, "base64url") silently skips bad characters, so check the alphabet first.
  if (!BASE64URL_NO_PAD.test(encodedKey) || encodedKey.length % 4 === 1) throw pbkdf2Encoding();
  const storedKey = Buffer.from(encodedKey, "base64url");

  // The salt is used as its ASCII text, not decoded: that is what upstream (and Django) do.
  const derived = await withHashSlot(() => pbkdf2Async(Buffer.from(password, "utf8"), Buffer.from(salt, "utf8"), iterations, storedKey.length, digest));
  return timingSafeEqual(derived, storedKey);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as verifying a real password and always returns false. Login paths call it when the
 * user does not exist, so response time does not reveal which user IDs are registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(32).toString("base64url"));
  await verifyPassword(await dummyHash, password);
  return false;
}
