import { beforeEach, describe, it, expect } from "vitest";
import { fork } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "../../server/domain/password-hash.js";
import * as catalog from "../../server/domain/error-catalog.js";
import { useProductionPasswordHashing } from "../support/password-hashing.js";

// These tests are about the production parameters, not the cheap ones the other suites hash with.
beforeEach(useProductionPasswordHashing);

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
/** A thread's scheduling policy: field 41 of its stat line (after the command name, which may hold spaces). */
const schedulingPolicy = (pid: number, tid: number) =>
  Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[41 - 3]);

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("argon2id hashing", () => {
  it("hashes with the OWASP floor parameters and verifies only the right password", async () => {
    const hash = await hashPassword("Correct horse 1");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(hash, "Correct horse 1")).toBe(true);
    expect(await verifyPassword(hash, "correct horse 1")).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it("hashes in a child process whose every thread runs only on otherwise idle CPU (SCHED_IDLE)", async () => {
    const hash = await hashPassword("Correct horse 1");
    const children = readdirSync(`/proc/${process.pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${process.pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
    const hasher = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("password-hasher"));
    expect(hasher).toBeDefined();
    // Every thread of it, including libuv's pool that runs the hashes once there was one.
    const threads = readdirSync(`/proc/${hasher}/task`).map(Number);
    expect(threads.length).toBeGreaterThan(1);
    for (const tid of threads) expect(schedulingPolicy(hasher!, tid)).toBe(SCHED_IDLE);
    expect(schedulingPolicy(process.pid, process.pid)).toBe(SCHED_OTHER);
    expect(await verifyPassword(hash, "Correct horse 1")).toBe(true);
  });

  it("hashes at nice 5 instead with PASSWORD_HASH_PRIORITY=low", async () => {
    const child = fork(fileURLToPath(new URL("../../server/domain/password-hasher.mjs", import.meta.url)), [], {
      execArgv: [], env: { ...process.env, PASSWORD_HASH_PRIORITY: "low" }, stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    try {
      const answer = new Promise<{ ok: boolean; value: string }>((resolve) => child.once("message", resolve as never));
      child.send({ id: 1, op: "hash", args: ["Correct horse 1", { type: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 }] });
      expect((await answer).value).toMatch(/^\$argon2id\$/);
      const threads = readdirSync(`/proc/${child.pid}/task`).map(Number);
      expect(threads.length).toBeGreaterThan(1);
      for (const tid of threads) {
        expect(schedulingPolicy(child.pid!, tid)).toBe(SCHED_OTHER);
        expect(os.getPriority(tid)).toBe(os.getPriority(0) + 5);
      }
    } finally {
      child.kill();
    }
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("treats a corrupt argon2 string as an invalid stored hash", async () => {
    expect(catalog.invalidHash.is(await rejection(verifyPassword("$argon2id$garbage", "x")))).toBe(true);
  });
});

describe("upstream PBKDF2 hashes", () => {
  it("matches the spec's test vector", () => {
    const key = pbkdf2Sync("secret", "salt", 30000, 32, "sha256").toString("base64url");
    expect(key).toBe("4v3K66vbKbwv3vnwnf32hdzoK8O03GOiBcWFNHul9bo");
  });

  it("verifies a Django-style lowercase hash", async () => {
    const hash = "pbkdf2$sha256$30000$salt$4v3K66vbKbwv3vnwnf32hdzoK8O03GOiBcWFNHul9bo";
    expect(await verifyPassword(hash, "secret")).toBe(true);
    expect(await verifyPassword(hash, "Secret")).toBe(false);
    expect(needsRehash(hash)).toBe(true);
  });

  it("verifies a fresh upstream-format hash (sha256 and sha512) and rejects another password", async () => {
    for (const alg of ["sha256", "sha512"] as const) {
      const salt = "AbCdEfGhIjKlMnOp"; // 16 chars, used as ASCII text
      const key = pbkdf2Sync("hunter2", salt, 1000, 32, alg).toString("base64url");
      const hash = `PBKDF2$${alg}$1000$${salt}$${key}`;
      expect(await verifyPassword(hash, "hunter2")).toBe(true);
      expect(await verifyPassword(hash, "hunter3")).toBe(false);
    }
  });

  it("takes the key length from the stored key", async () => {
    const key = pbkdf2Sync("pw", "salt", 1000, 64, "sha512").toString("base64url");
    expect(await verifyPassword(`PBKDF2$sha512$1000$salt$${key}`, "pw")).toBe(true);
  });

  it.each([
    ["foo", catalog.invalidHash],
    ["LOL$foo", catalog.unknownHashingMethod],
    ["PBKDF2$foo", catalog.invalidPbkdf2Format],
    ["PBKDF2$md5$1000$salt$abcd", catalog.invalidPbkdf2Format],
    ["PBKDF2$sha256$many$salt$abcd", catalog.pbkdf2Iterations],
    ["PBKDF2$sha256$0$salt$abcd", catalog.pbkdf2Iterations],
    ["PBKDF2$sha256$1000$salt$ab+/", catalog.pbkdf2Encoding],
  ])("rejects malformed %j as INTERNAL", async (hash, expected) => {
    const err = await rejection(verifyPassword(hash, "secret"));
    expect(expected.is(err)).toBe(true);
    expect((err as { code: number }).code).toBe(13);
  });
});

describe("verifyAgainstDummy", () => {
  // Its cost equals a real verify by construction (same hashPassword parameters); timing is not asserted here.
  it("always fails, whatever the password", async () => {
    expect(await verifyAgainstDummy("Something1")).toBe(false);
    expect(await verifyAgainstDummy("")).toBe(false);
  });
});
