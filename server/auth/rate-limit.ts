// Rate limits against guessing and flooding: failed password checks, anonymous sign-ups and e-mails per
// recipient. Each limit is a fixed-window counter in the shared counter store (store/counters.ts: Redis,
// PostgreSQL or memory), so every instance of the service sees the same counts.
//
// A limit's point is taken *before* the work it guards starts (consume first, give back when it did not count),
// so parallel requests cannot all slip through a check-then-count gap: with an allowance of 5, at most 5
// password checks are ever evaluated, however many arrive at once.
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Config } from "../config.js";
import * as errors from "../domain/error-catalog.js";
import type { Counter, CounterStore } from "../store/counters.js";

/** The limits by name; the name is also the `key` attribute of `pkg/ratelimit:rate_limit_exceeded`. */
export type LimitName =
  | "password_attempts:user_address"
  | "password_attempts:user"
  | "password_attempts:address"
  | "sign_ups:address"
  | "sso_logins:address"
  | "mail:recipient"
  | "mail_notifications:recipient";

/** One refusal (or dropped mail), as reported to `RateLimits.on("limited", …)`, e.g. for metrics. */
export interface LimitHit {
  limit: LimitName;
  retryAfterMs: number;
}

const retrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** `pkg/ratelimit:rate_limit_exceeded` (8) as upstream names it, plus when to retry (seconds). */
function limitError(counter: Counter, retryAfterMs: number) {
  return errors.rateLimitExceeded({ key: counter.rule.name, rate: counter.rule.points, retry_after: retrySeconds(retryAfterMs) });
}

/** One reserved password check; settle it exactly once (later calls are ignored). */
export interface PasswordAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
  /** Neither outcome (e.g. the check could not run): frees the reservation without counting. */
  release(): Promise<void>;
}

export interface AttemptKeys {
  userId?: string;
  address?: string;
}

/**
 * Failed password checks, counted three ways: per user *and* address (the lockout a guesser runs into after a
 * few tries), per user over all addresses (a much higher ceiling against guessing from many addresses) and per
 * address (one address guessing many users). A third party's failures lock only their own address out of the
 * account: the owner, from another address, keeps logging in until the per-user ceiling, which takes many
 * addresses to reach. A successful check forgets the user-and-address failures and does not count otherwise.
 */
class PasswordAttempts {
  constructor(
    private readonly counters: { userAddress: Counter; user: Counter; address: Counter },
    private readonly report: (hit: LimitHit) => void = () => {},
  ) {}

  /** Reserves one password check, or throws `rate_limit_exceeded` (8) with `retry_after` (seconds). */
  async reserve(keys: AttemptKeys): Promise<PasswordAttempt> {
    const { userAddress, user, address } = this.counters;
    const dims: [Counter, string][] = [];
    if (keys.userId !== undefined && keys.address !== undefined) dims.push([userAddress, `${keys.userId}|${keys.address}`]);
    if (keys.userId !== undefined) dims.push([user, keys.userId]);
    if (keys.address !== undefined) dims.push([address, keys.address]);
    const taken = await Promise.all(dims.map(([counter, key]) => counter.take(key)));
    const refused = taken.findIndex((t) => !t.allowed);
    if (refused >= 0) {
      // The attempt does not happen, so it counts nowhere: give back every point it took, the refusing
      // dimension's too. Parallel requests can push a dimension past its allowance for a moment (each takes
      // before the refused ones give back); had those points stayed, a burst from one address would leave the
      // per-user count over its ceiling and lock the owner out from everywhere.
      await Promise.all(dims.map(([counter, key]) => counter.giveBack(key)));
      const counter = dims[refused]![0];
      const retryAfterMs = Math.max(...taken.filter((t) => !t.allowed).map((t) => t.retryAfterMs));
      this.report({ limit: counter.rule.name as LimitName, retryAfterMs });
      throw limitError(counter, retryAfterMs);
    }
    let settled = false;
    const settle = async (work: () => Promise<unknown>) => {
      if (settled) return;
      settled = true;
      await work();
    };
    return {
      failed: () => settle(async () => {}), // the point taken stays: a failure
      succeeded: () => settle(() => Promise.all(dims.map(([counter, key]) => (counter === userAddress ? counter.reset(key) : counter.giveBack(key))))),
      release: () => settle(() => Promise.all(dims.map(([counter, key]) => counter.giveBack(key)))),
    };
  }

  /**
   * Runs `check` (true = password correct) under a reservation and records its outcome. For UpdatePassword:
   * `if (!(await limits.passwordAttempts.check({ userId, address }, () => verify…))) throw errors.oldPassword();`
   */
  async check(keys: AttemptKeys, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = await this.reserve(keys);
    let ok: boolean;
    try {
      ok = await check();
    } catch (err) {
      await attempt.release();
      throw err;
    }
    await (ok ? attempt.succeeded() : attempt.failed());
    return ok;
  }
}

/** A plain allowance per key and window (sign-ups per address, mail per recipient). */
export class Quota {
  constructor(private readonly counter: Counter, private readonly report: (hit: LimitHit) => void = () => {}) {}

  /** Takes one; undefined when allowed, else how long until the window ends (the take is reported). */
  async take(key: string): Promise<number | undefined> {
    const taken = await this.counter.take(key);
    if (taken.allowed) return undefined;
    this.report({ limit: this.counter.rule.name as LimitName, retryAfterMs: taken.retryAfterMs });
    return taken.retryAfterMs;
  }

  /** Takes one or throws `rate_limit_exceeded` (8) with `retry_after`. */
  async require(key: string): Promise<void> {
    const retryAfterMs = await this.take(key);
    if (retryAfterMs !== undefined) throw this.error(retryAfterMs);
  }

  error(retryAfterMs: number) {
    return limitError(this.counter, retryAfterMs);
  }

  giveBack(key: string): Promise<void> {
    return this.counter.giveBack(key);
  }
}

/** A recipient address as a counter key: case-insensitive, and hashed so no store holds addresses in clear. */
export const recipientKey = (email: string): string => createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 32);

/**
 * Every rate limit of the service over one counter store. Listen to "limited" to observe refusals (metrics):
 * `limits.on("limited", ({ limit, retryAfterMs }) => …)`.
 */
export class RateLimits extends EventEmitter<{ limited: [LimitHit] }> {
  readonly passwordAttempts: PasswordAttempts;
  readonly signUps: Quota;
  /** Single sign-ons started (each stores a pending login until it returns or expires) per client address. */
  readonly ssoLogins: Quota;
  /** Mails someone asked for (refused over the cap) and notifications (dropped over it), counted apart. */
  readonly mail: { requested: Quota; notifications: Quota };

  constructor(readonly store: CounterStore, config: Pick<Config, "loginRateLimit" | "signUpRateLimit" | "ssoLoginRateLimit" | "mailRateLimit">) {
    super();
    const report = (hit: LimitHit) => { this.emit("limited", hit); };
    const login = config.loginRateLimit;
    this.passwordAttempts = new PasswordAttempts({
      userAddress: store.counter({ name: "password_attempts:user_address", points: login.perUserAddress, windowMs: login.windowMs }),
      user: store.counter({ name: "password_attempts:user", points: login.perUser, windowMs: login.windowMs }),
      address: store.counter({ name: "password_attempts:address", points: login.perAddress, windowMs: login.windowMs }),
    }, report);
    this.signUps = new Quota(store.counter({ name: "sign_ups:address", points: config.signUpRateLimit.perAddress, windowMs: config.signUpRateLimit.windowMs }), report);
    this.ssoLogins = new Quota(store.counter({ name: "sso_logins:address", points: config.ssoLoginRateLimit.perAddress, windowMs: config.ssoLoginRateLimit.windowMs }), report);
    const mail = (name: LimitName) => new Quota(store.counter({ name, points: config.mailRateLimit.perRecipient, windowMs: config.mailRateLimit.windowMs }), report);
    this.mail = { requested: mail("mail:recipient"), notifications: mail("mail_notifications:recipient") };
  }
}
