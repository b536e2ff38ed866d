// A background pass on a timer: the first one an interval after start, never two at once, and stop() waits for
// the one under way. The pass reports its own outcome (it must not reject).

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.pass().finally(() => { this.running = undefined; });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
