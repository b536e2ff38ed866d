// Runs h2load (nghttp2's load generator) against one call and reads what it measured: requests/s, failures, and
// latency percentiles from its per-request log.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Measured seconds, after `warmUpSeconds` that are not counted. */
  seconds: number;
  warmUpSeconds: number;
  /** Concurrent requests in flight: connections × streams per connection (HTTP/2) or connections (HTTP/1.1). */
  concurrency: number;
  http1?: boolean;
}

export interface LoadResult {
  rps: number;
  /** CPU time the server spent per call during the measured seconds (µs), when `cpuOf` was given. */
  cpuUsPerCall?: number;
  done: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

const dir = mkdtempSync(path.join(os.tmpdir(), "ttnid-bench-"));
process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
let seq = 0;

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * CPU time used so far (µs) by a process and its children (cluster workers), from /proc. Less sensitive to other
 * load on the machine than requests/s: a call costs the server about the same CPU however busy the machine is.
 */
export function cpuMicros(pid: number): number {
  let ticks = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // gone meanwhile
    }
  };
  visit(pid);
  return (ticks * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

export async function h2load(spec: LoadSpec, cpuOf?: number): Promise<LoadResult> {
  const n = ++seq;
  const bodyFile = path.join(dir, `body-${n}`);
  const logFile = path.join(dir, `log-${n}`);
  writeFileSync(bodyFile, spec.body);
  const connections = spec.http1 ? spec.concurrency : Math.max(1, Math.round(spec.concurrency / 16));
  const streams = spec.http1 ? 1 : Math.ceil(spec.concurrency / connections);
  const args = [
    "-D", `${Math.round(spec.seconds * 1000)}ms`, `--warm-up-time=${Math.round(spec.warmUpSeconds * 1000)}ms`, "-c", String(connections), "-m", String(streams),
    "-d", bodyFile, `--log-file=${logFile}`, ...(spec.http1 ? ["--h1"] : []),
    ...Object.entries(spec.headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    spec.url,
  ];
  let cpuStart: number | undefined;
  const warmedUp = cpuOf ? setTimeout(() => { cpuStart = cpuMicros(cpuOf); }, spec.warmUpSeconds * 1000 + 50) : undefined;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("h2load", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`h2load exited ${code}:\n${out}`))));
  });
  clearTimeout(warmedUp);
  const cpuUsed = cpuOf && cpuStart !== undefined ? cpuMicros(cpuOf) - cpuStart : undefined;
  const done = Number(/requests: \d+ total, \d+ started, (\d+) done/.exec(output)?.[1] ?? 0);
  const succeeded = Number(/(\d+) succeeded/.exec(output)?.[1] ?? 0);
  const finished = /finished in ([\d.]+)(m?s)/.exec(output);
  const seconds = finished ? Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1) : spec.seconds;
  const latencies: number[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const [, status, micros] = line.split("\t");
    if (status && micros) latencies.push(Number(micros) / 1000);
  }
  latencies.sort((a, b) => a - b);
  rmSync(logFile, { force: true });
  return { rps: succeeded / seconds, cpuUsPerCall: cpuUsed !== undefined && succeeded ? cpuUsed / succeeded : undefined, done, failed: done - succeeded, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}
