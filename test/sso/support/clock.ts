// The service's clock for single sign-on tests: it runs with real time (the provider stamps its tokens with real
// time) and jumps ahead when a test says so, instead of the test waiting for an ID token or a cache to expire.
import type { Clock } from "../../../server/clock.js";

export class OffsetClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
