// Work that follows a successful RPC without delaying it (internal notifications).
import type { Logger } from "../logger.js";

export class BackgroundWork {
  private jobs = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Starts `work` after the current call stack; a failure is only logged, never reaches the caller. */
  run(name: string, work: () => Promise<unknown>): void {
    const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .then(
        () => undefined,
        (err) => this.logger.error({ job: name, error: (err as Error).message }, "background work failed"),
      )
      .finally(() => this.jobs.delete(job));
    this.jobs.add(job);
  }

  /** Resolves once every started job has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.jobs.size) await Promise.allSettled([...this.jobs]);
  }
}
