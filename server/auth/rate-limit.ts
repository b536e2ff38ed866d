// Password-guessing protection: failed password checks are counted per user and per client address; past the
// allowance each further failure doubles the wait. In memory, per process (upstream's default provider too).
//
// An attempt is reserved synchronously, before the (async, slow) password check starts, so parallel requests
// cannot all pass the check-then-count gap: with an allowance of 5, at most 5 guesses are ever evaluated at once.
import * as errors from "../domain/error-catalog.js";

export interface BackoffPolicy {
  /** Failures allowed before back-off starts. */
  attempts: number;
  /** First wait after the allowance is used up; doubles per further failure. */
  backoffMs: number;
  maxBackoffMs: number;
}

interface Counter {
  failures: number;
  inFlight: number;
  blockedUntil: number;
  lastFailureAt: number;
}

/** Failures of one dimension (user, address), keyed by its value. */
export class FailureCounters {
  private readonly counters = new Map<string, Counter>();
  private reservations = 0;

  constructor(readonly name: string, readonly policy: BackoffPolicy, private readonly resetOnSuccess: boolean) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  waitFor(key: string, now: number): number {
    const c = this.current(key, now);
    if (!c) return 0;
    if (c.failures < this.policy.attempts) {
      // Still within the allowance, but every remaining try is already being evaluated.
      return c.failures + c.inFlight < this.policy.attempts ? 0 : 1000;
    }
    // Past the allowance: one try at a time, once the back-off has passed.
    if (c.blockedUntil > now) return c.blockedUntil - now;
    return c.inFlight > 0 ? 1000 : 0;
  }

  reserve(key: string, now: number): void {
    if (++this.reservations % 1000 === 0) this.sweep(now);
    const c = this.current(key, now) ?? { failures: 0, inFlight: 0, blockedUntil: 0, lastFailureAt: now };
    c.inFlight++;
    this.counters.set(key, c);
  }

  settle(key: string, outcome: "failed" | "succeeded" | "released", now: number): void {
    const c = this.counters.get(key);
    if (!c) return;
    c.inFlight = Math.max(0, c.inFlight - 1);
    if (outcome === "failed") {
      c.failures++;
      c.lastFailureAt = now;
      if (c.failures >= this.policy.attempts) {
        const doublings = Math.min(c.failures - this.policy.attempts, 30);
        c.blockedUntil = now + Math.min(this.policy.maxBackoffMs, this.policy.backoffMs * 2 ** doublings);
      }
    } else if (outcome === "succeeded" && this.resetOnSuccess) {
      c.failures = 0;
      c.blockedUntil = 0;
    }
    if (c.inFlight === 0 && c.failures === 0) this.counters.delete(key);
  }

  /** Failures are forgotten once a back-off has passed and then nothing failed for the longest back-off. */
  private current(key: string, now: number): Counter | undefined {
    const c = this.counters.get(key);
    if (c && this.forgotten(c, now)) {
      this.counters.delete(key);
      return undefined;
    }
    return c;
  }

  private forgotten(c: Counter, now: number): boolean {
    return c.inFlight === 0 && now - Math.max(c.blockedUntil, c.lastFailureAt) >= this.policy.maxBackoffMs;
  }

  private sweep(now: number): void {
    for (const [key, c] of this.counters) if (this.forgotten(c, now)) this.counters.delete(key);
  }

  get size(): number {
    return this.counters.size;
  }
}

/** One reserved password check; settle it exactly once (later calls are ignored). */
export interface PasswordAttempt {
  failed(): void;
  succeeded(): void;
  /** Neither outcome (e.g. the check could not run): frees the reservation without counting. */
  release(): void;
}

export interface AttemptKeys {
  userId?: string;
  address?: string;
}

/** Per-user and per-address counters shared by every path that checks a password (login, UpdatePassword). */
export class PasswordAttempts {
  readonly byUser: FailureCounters;
  readonly byAddress: FailureCounters;

  constructor(limits: { perUser: number; perAddress: number; backoffMs: number; maxBackoffMs: number }, private readonly clock: () => number = Date.now) {
    const backoff = { backoffMs: limits.backoffMs, maxBackoffMs: limits.maxBackoffMs };
    // A success clears the user's failures; not the address's, or one valid account would reset a guesser's budget.
    this.byUser = new FailureCounters("user", { attempts: limits.perUser, ...backoff }, true);
    this.byAddress = new FailureCounters("address", { attempts: limits.perAddress, ...backoff }, false);
  }

  /**
   * Reserves one password check, or throws `pkg/ratelimit:rate_limit_exceeded` (8) with attribute `retry_after`
   * (seconds). Synchronous on purpose: nothing can interleave between the check and the reservation.
   */
  reserve(keys: AttemptKeys): PasswordAttempt {
    const now = this.clock();
    const dims: [FailureCounters, string][] = [];
    if (keys.userId !== undefined) dims.push([this.byUser, keys.userId]);
    if (keys.address !== undefined) dims.push([this.byAddress, keys.address]);
    let wait = 0;
    let limited: FailureCounters | undefined;
    for (const [counters, key] of dims) {
      const w = counters.waitFor(key, now);
      if (w > wait) [wait, limited] = [w, counters];
    }
    if (limited) {
      throw errors.rateLimitExceeded({ rate: limited.policy.attempts, key: `password_attempts:${limited.name}`, retry_after: Math.max(1, Math.ceil(wait / 1000)) });
    }
    for (const [counters, key] of dims) counters.reserve(key, now);
    let settled = false;
    const settle = (outcome: "failed" | "succeeded" | "released") => {
      if (settled) return;
      settled = true;
      const at = this.clock();
      for (const [counters, key] of dims) counters.settle(key, outcome, at);
    };
    return { failed: () => settle("failed"), succeeded: () => settle("succeeded"), release: () => settle("released") };
  }

  /**
   * Runs `check` (true = password correct) under a reservation and records its outcome. For UpdatePassword:
   * `if (!(await deps.passwordAttempts.check({ userId }, () => verify…))) throw errors.oldPassword();`
   */
  async check(keys: AttemptKeys, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = this.reserve(keys);
    try {
      const ok = await check();
      if (ok) attempt.succeeded();
      else attempt.failed();
      return ok;
    } finally {
      attempt.release(); // only when check threw; otherwise already settled
    }
  }
}
