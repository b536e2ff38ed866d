// WORKERS=N: N server processes on one port (node:cluster hands connections out in turn), so a machine's cores
// all serve. Only with PostgreSQL: every worker keeps its own pool, and caches stay correct across workers the
// same way as across machines (the database announces changes). The primary only supervises.
import cluster from "node:cluster";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { serveClusterMetrics } from "./ops/metrics-cluster.js";

/** A worker that dies this soon after starting is taken for a start-up failure, and the whole service stops. */
const START_GRACE_MS = 30_000;

/**
 * Forks the workers and watches them: one that crashes after start-up is replaced; one that fails to start, or
 * a SIGTERM/SIGINT, stops them all. Never returns; the process ends when the workers have.
 */
export async function superviseWorkers(config: Config, logger: Logger): Promise<never> {
  let stopping = false;
  const startedAt = new Map<number, number>();
  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
  };
  const stopAll = (code: number) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    const check = setInterval(() => {
      if (!Object.keys(cluster.workers ?? {}).length) process.exit(code);
    }, 100);
    check.unref();
    setTimeout(() => process.exit(code), 30_000).unref(); // bounded, like a single process's shutdown
  };
  cluster.on("exit", (worker, exitCode, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (!Object.keys(cluster.workers ?? {}).length) process.exit(0);
      return;
    }
    if (lived < START_GRACE_MS) {
      logger.error({ worker: worker.id, exitCode, signal }, "worker failed to start; stopping");
      stopAll(1);
      return;
    }
    logger.error({ worker: worker.id, exitCode, signal }, "worker died; starting another");
    fork();
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1); // a second signal: do not wait
      logger.info({ signal, workers: config.workers }, "shutting down workers");
      stopAll(0);
    });
  }
  if (config.metrics.enabled) serveClusterMetrics(); // a scrape of any worker reports them all
  logger.info({ workers: config.workers }, "starting workers");
  for (let i = 0; i < config.workers; i++) fork();
  return new Promise<never>(() => {});
}
