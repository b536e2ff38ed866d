// A clock that moves only when the test says so: pass it to startTestServer({ clock }) and call advance()
// instead of sleeping until something expires.
import type { Clock } from "../../server/clock.js";

export class ManualClock implements Clock {
  private ms: number;

  constructor(start: Date = new Date()) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  /** Moves to just after `moment` (never backwards): for deadlines the client chose by the real clock. */
  passes(moment: Date): void {
    this.ms = Math.max(this.ms, moment.getTime() + 1);
  }
}
