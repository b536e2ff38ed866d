import os from "node:os";
import path from "node:path";
import { parseDuration } from "./domain/durations.js";
import type { PasswordRequirements } from "./domain/password-policy.js";
import { CONNECTION_DEFAULTS, type ConnectionLimits } from "./transport/listener.js";

/** Everything the service reads from its environment, parsed once at start-up. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL URL; undefined selects the embedded database under dataDir. */
  databaseUrl?: string;
  smtpUrl?: string;
  mailFrom: string;
  publicUrl: string;
  corsOrigins: string[];
  tls?: { certFile: string; keyFile: string };
  logLevel: string;
  registration: {
    enabled: boolean;
    invitationRequired: boolean;
    adminApprovalRequired: boolean;
    invitationTokenTtlMs: number;
  };
  passwordRequirements: PasswordRequirements;
  loginTokens: { enabled: boolean; ttlMs: number };
  restoreWindowMs: number;
  temporaryPasswordTtlMs: number;
  defaultPageLimit: number;
  /** Upstream `is.admin-rights.all`: admins also hold the _KEYS and _ALL rights universally. */
  adminRightsAll: boolean;
  profilePicture: { disableUpload: boolean; useGravatar: boolean };
  sessions: {
    /** A session unused for this long ends (slides on use). */
    idleTimeoutMs: number;
    /** A session ends this long after login, however active. */
    maxAgeMs: number;
    /** `Secure` cookie attribute: "auto" = when served over TLS or PUBLIC_URL is https. */
    cookieSecure: "auto" | boolean;
  };
  /**
   * Failed password checks allowed per window: per user from one address (the lockout a guesser triggers), per
   * user from all addresses (a much higher ceiling, so others cannot lock the owner out), per client address.
   */
  loginRateLimit: { perUserAddress: number; perUser: number; perAddress: number; windowMs: number };
  /** Anonymous sign-ups (UserRegistry.Create) per client address and window. */
  signUpRateLimit: { perAddress: number; windowMs: number };
  /** Single sign-ons started (GET /oauth/login/<provider_id>) per client address and window. */
  ssoLoginRateLimit: { perAddress: number; windowMs: number };
  /** E-mails per recipient address and window (see README "Limits" for what happens to one over the cap). */
  mailRateLimit: { perRecipient: number; windowMs: number };
  /** Redis for counters shared by every instance (rate limits); unset keeps them in PostgreSQL or memory. */
  redisUrl?: string;
  /** Prefix of every Redis key this service writes, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** Timeouts and bounds of every connection (transport/listener.ts). */
  connections: ConnectionLimits;
  /** Largest request body of an RPC, and of the two that may carry an embedded picture (UserRegistry.Create/Update). */
  requestLimits: { maxBytes: number; maxPictureBytes: number };
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** Keys of trusted cluster services (`Authorization: ClusterKey <hex>`); empty refuses every cluster call. */
  clusterKeys: Buffer[];
  /** AES-256 key sealing authentication providers' OIDC client secrets at rest; unset refuses to store one. */
  authProviderSecretKey?: Buffer;
  /** Outbox delivery: attempts per message, first back-off (doubling up to the maximum), idle poll interval. */
  mailRetry: { attempts: number; backoffMs: number; maxBackoffMs: number; pollIntervalMs: number };
  /** Server processes sharing the port (node:cluster); more than one needs PostgreSQL. */
  workers: number;
  /** Password hashes computed at once per process; the rest wait, so a login storm leaves the event loop a core. */
  passwordHashConcurrency: number;
  /** "idle": hashing only takes a core nothing else wants (Linux SCHED_IDLE); "low": nice 5, a share under contention. */
  passwordHashPriority: "idle" | "low";
  /** Apply pending migrations at start-up (under an advisory lock); off: run `npm run cli -- migrate` once per deployment. */
  migrateOnStart: boolean;
  /** Prometheus metrics at /metrics; with a token, scrapes must send `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token?: string };
  /** On SIGTERM, how long /readyz says "unready" before the listener closes, so load balancers stop sending first. */
  shutdownDelayMs: number;
  /** Expiry clean-up: how often it runs, and how long expired records stay visible before they are deleted. */
  cleanup: { intervalMs: number; retentionMs: number };
  /**
   * Upstream `is.user-registration.contact-info-validation`: whether users must validate their primary e-mail
   * address before they get more than the rights of a pending account, how long a validation mail's token lives,
   * and how long before another mail for the same address may be requested.
   */
  emailValidation: { required: boolean; tokenTtlMs: number; retryIntervalMs: number };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/**
 * What an error message may show of a bad value: the value as given, or (`undefined`) nothing. Start-up errors
 * go to the console and from there into log collectors, so a variable that can hold a credential never shows
 * its value; the parsers of such variables also keep the value out of their own messages.
 */
type Show = (raw: string) => string | undefined;
const asGiven: Show = (raw) => raw;
const hidden: Show = () => undefined;

/**
 * A URL that may carry a user and password (`postgresql://user:pass@host/db`): shown with the user info as
 * `***` and without query and fragment (libpq takes `?password=`). Nothing is shown when the value does not
 * parse, or when an `@` outside the user info suggests a password with a `/`, `?` or `#` spilled into the path,
 * query or fragment (`smtp://user:pa/ss@host`), or the `//` is missing (`postgresql:user:pass@host`).
 */
const redactedUrl: Show = (raw) => {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.pathname.includes("@") || u.search.includes("@") || u.hash.includes("@")) return undefined;
  if (u.username) u.username = "***";
  if (u.password) u.password = "***";
  u.search = "";
  u.hash = "";
  return u.href;
};

/** Reads one variable through `parse`; a bad value names the variable so start-up fails clearly. */
function read<T>(env: Env, name: string, fallback: T, parse: (raw: string) => T, show: Show = asGiven): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  try {
    return parse(raw.trim());
  } catch (err) {
    const shown = show(raw.trim());
    throw new ConfigError(`${name}: ${(err as Error).message}${shown === undefined ? "" : ` (got "${shown}")`}`);
  }
}

const bool = (raw: string): boolean => {
  const v = raw.toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new Error("expected true or false");
};

const oneOf = <T extends string>(values: readonly T[]) => (raw: string): T => {
  if (!(values as readonly string[]).includes(raw)) throw new Error(`expected one of ${values.join(", ")}`);
  return raw as T;
};

const int = (min: number, max: number) => (raw: string): number => {
  if (!/^\d+$/.test(raw)) throw new Error("expected a whole number");
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`expected a number from ${min} to ${max}`);
  return n;
};

const duration = (raw: string): number => {
  const ms = parseDuration(raw);
  if (ms <= 0) throw new Error("expected a positive duration such as 24h");
  return ms;
};

/**
 * setTimeout's longest delay (about 24.8 days): a longer one fires after 1 ms instead, which would turn the mail
 * worker's idle poll into a busy loop. Every duration that reaches a timer is bounded by it.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

const timerDuration = (raw: string): number => {
  const ms = duration(raw);
  if (ms > MAX_TIMER_MS) throw new Error(`expected at most about 24.8 days (${MAX_TIMER_MS}ms), the longest timer delay`);
  return ms;
};

/** A counting window of a rate limit: whole seconds, because the shared stores (Redis) count in seconds. */
const window = (raw: string): number => {
  const ms = timerDuration(raw);
  if (ms < 1000) throw new Error("expected at least 1s");
  return Math.ceil(ms / 1000) * 1000;
};

/** A byte count, with an optional binary unit: 65536, 64KiB, 16MiB. */
const bytes = (min: number, max: number) => (raw: string): number => {
  const m = /^(\d+)\s*(B|KiB|MiB)?$/i.exec(raw);
  if (!m) throw new Error("expected a number of bytes such as 65536, 64KiB or 16MiB");
  const n = Number(m[1]) * ({ b: 1, kib: 1024, mib: 1024 * 1024 }[(m[2] ?? "b").toLowerCase()] ?? 1);
  if (n < min || n > max) throw new Error(`expected from ${min} to ${max} bytes`);
  return n;
};

// The message never contains the value: URLs may carry credentials (see redactedUrl).
const url = (protocols: string[]) => (raw: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`expected a ${protocols.join(" or ")} URL, which this does not parse as`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`expected a ${protocols.join(" or ")} URL`);
  // "postgresql:user:pass@host" parses (as an opaque path) but is a typo; "postgresql:///db" (socket) is fine.
  if (!raw.slice(parsed.protocol.length).startsWith("//")) throw new Error(`expected ${parsed.protocol}// at the start`);
  return raw;
};

const origins = (raw: string): string[] =>
  raw.split(",").map((o) => o.trim()).filter(Boolean).map((o) => {
    if (o === "*") return o;
    const u = new URL(o);
    if (u.origin !== o.replace(/\/$/, "")) throw new Error(`"${o}" is not an origin (scheme://host[:port])`);
    return u.origin;
  });

const autoOrBool = (raw: string): "auto" | boolean => {
  if (raw.toLowerCase() === "auto") return "auto";
  try {
    return bool(raw);
  } catch {
    throw new Error("expected auto, true or false");
  }
};

// Keys are secrets: a bad entry is named by position, never shown.
const hexKeys = (raw: string): Buffer[] =>
  raw.split(",").map((k) => k.trim()).filter(Boolean).map((k, i) => {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(k)) throw new Error(`expected comma-separated hexadecimal keys; key ${i + 1} is not`);
    return Buffer.from(k, "hex");
  });

// A secret too: checked for shape only, never shown.
const aes256Key = (raw: string): Buffer => {
  if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw new Error("expected 64 hexadecimal characters (a 256-bit key, e.g. from `openssl rand -hex 32`)");
  return Buffer.from(raw, "hex");
};

export function loadConfig(env: Env = process.env): Config {
  const port = read(env, "PORT", 1885, int(0, 65535));
  const certFile = read(env, "TLS_CERT_FILE", undefined as string | undefined, (s) => s);
  const keyFile = read(env, "TLS_KEY_FILE", undefined as string | undefined, (s) => s);
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE must be set together");
  }
  const scheme = certFile ? "https" : "http";
  const minLength = read(env, "PASSWORD_MIN_LENGTH", 8, int(1, 1000));
  const maxLength = read(env, "PASSWORD_MAX_LENGTH", 1000, int(1, 1000));
  if (minLength > maxLength) throw new ConfigError("PASSWORD_MIN_LENGTH must not exceed PASSWORD_MAX_LENGTH");
  // 24h idle / 30 days absolute: a browser left alone overnight must log in again, and a stolen cookie cannot
  // be used for longer than a month even when kept busy (upstream's implicit cookie max age is also 30 days).
  const idleTimeoutMs = read(env, "SESSION_IDLE_TIMEOUT", 24 * 3600_000, duration);
  const maxAgeMs = read(env, "SESSION_MAX_AGE", 30 * 24 * 3600_000, duration);
  if (idleTimeoutMs > maxAgeMs) throw new ConfigError("SESSION_IDLE_TIMEOUT must not exceed SESSION_MAX_AGE");
  const perUserAddress = read(env, "LOGIN_RATE_LIMIT_PER_USER_ADDRESS", 5, int(1, 1000));
  // The per-user ceiling is what a guesser with many addresses runs into; far above the per-address lockout so
  // that a third party's failures from a few addresses never lock the owner out.
  const perUser = read(env, "LOGIN_RATE_LIMIT_PER_USER", 100, int(1, 100000));
  if (perUserAddress > perUser) throw new ConfigError("LOGIN_RATE_LIMIT_PER_USER_ADDRESS must not exceed LOGIN_RATE_LIMIT_PER_USER");
  const maxRequestBytes = read(env, "MAX_REQUEST_BYTES", 64 * 1024, bytes(1024, 16 * 1024 * 1024));
  // An 8 MiB embedded picture is about 11.2 MB in JSON (base64).
  const maxPictureRequestBytes = read(env, "MAX_PICTURE_REQUEST_BYTES", 16 * 1024 * 1024, bytes(1024, 64 * 1024 * 1024));
  const headersTimeoutMs = read(env, "HTTP_HEADERS_TIMEOUT", CONNECTION_DEFAULTS.headersTimeoutMs, timerDuration);
  const requestTimeoutMs = read(env, "HTTP_REQUEST_TIMEOUT", CONNECTION_DEFAULTS.requestTimeoutMs, timerDuration);
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError("HTTP_HEADERS_TIMEOUT must not exceed HTTP_REQUEST_TIMEOUT");
  if (maxRequestBytes > maxPictureRequestBytes) throw new ConfigError("MAX_REQUEST_BYTES must not exceed MAX_PICTURE_REQUEST_BYTES");
  // 30 s doubling to 1 h: ten attempts span about five hours, enough to ride out a mail server restart.
  const mailBackoffMs = read(env, "MAIL_RETRY_BACKOFF", 30_000, timerDuration);
  const mailMaxBackoffMs = read(env, "MAIL_RETRY_MAX_BACKOFF", 3600_000, timerDuration);
  if (mailBackoffMs > mailMaxBackoffMs) throw new ConfigError("MAIL_RETRY_BACKOFF must not exceed MAIL_RETRY_MAX_BACKOFF");
  const workers = read(env, "WORKERS", 1, int(1, 64));
  if (workers > 1 && !env.DATABASE_URL) {
    throw new ConfigError("WORKERS above 1 needs PostgreSQL (DATABASE_URL): the embedded database belongs to one process");
  }
  return {
    host: read(env, "HOST", "127.0.0.1", (s) => s), // loopback until the operator chooses to expose it
    port,
    dataDir: path.resolve(read(env, "DATA_DIR", "./data", (s) => s)),
    databaseUrl: read(env, "DATABASE_URL", undefined, url(["postgresql:", "postgres:"]), redactedUrl),
    smtpUrl: read(env, "SMTP_URL", undefined, url(["smtp:", "smtps:"]), redactedUrl),
    mailFrom: read(env, "MAIL_FROM", "The Things Stack <noreply@localhost>", (s) => s),
    publicUrl: read(env, "PUBLIC_URL", `${scheme}://localhost:${port}`, url(["http:", "https:"]), redactedUrl).replace(/\/+$/, ""),
    corsOrigins: read(env, "CORS_ORIGINS", [], origins),
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    logLevel: read(env, "LOG_LEVEL", "info", (s) => {
      if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(s)) throw new Error("unknown level");
      return s;
    }),
    registration: {
      enabled: read(env, "USER_REGISTRATION_ENABLED", true, bool),
      invitationRequired: read(env, "USER_REGISTRATION_INVITATION_REQUIRED", false, bool),
      adminApprovalRequired: read(env, "USER_REGISTRATION_ADMIN_APPROVAL_REQUIRED", false, bool),
      invitationTokenTtlMs: read(env, "INVITATION_TOKEN_TTL", 168 * 3600_000, duration),
    },
    passwordRequirements: {
      minLength,
      maxLength,
      minUppercase: read(env, "PASSWORD_MIN_UPPERCASE", 1, int(0, 1000)),
      minDigits: read(env, "PASSWORD_MIN_DIGITS", 1, int(0, 1000)),
      minSpecial: read(env, "PASSWORD_MIN_SPECIAL", 0, int(0, 1000)),
      rejectUserId: read(env, "PASSWORD_REJECT_USER_ID", true, bool),
      rejectCommon: read(env, "PASSWORD_REJECT_COMMON", false, bool),
    },
    loginTokens: {
      enabled: read(env, "LOGIN_TOKENS_ENABLED", false, bool),
      ttlMs: read(env, "LOGIN_TOKEN_TTL", 3600_000, duration),
    },
    restoreWindowMs: read(env, "RESTORE_WINDOW", 24 * 3600_000, duration),
    temporaryPasswordTtlMs: read(env, "TEMPORARY_PASSWORD_TTL", 3600_000, duration),
    defaultPageLimit: read(env, "PAGINATION_DEFAULT_LIMIT", 100, int(1, 1000)),
    adminRightsAll: read(env, "ADMIN_RIGHTS_ALL", false, bool),
    profilePicture: {
      disableUpload: read(env, "PROFILE_PICTURE_DISABLE_UPLOAD", false, bool),
      useGravatar: read(env, "PROFILE_PICTURE_USE_GRAVATAR", true, bool),
    },
    sessions: {
      idleTimeoutMs,
      maxAgeMs,
      cookieSecure: read(env, "COOKIE_SECURE", "auto" as "auto" | boolean, autoOrBool),
    },
    loginRateLimit: {
      perUserAddress,
      perUser,
      // Higher than per user and address: several people may share one address (office NAT).
      perAddress: read(env, "LOGIN_RATE_LIMIT_PER_ADDRESS", 20, int(1, 100000)),
      windowMs: read(env, "LOGIN_RATE_LIMIT_WINDOW", 15 * 60_000, window),
    },
    signUpRateLimit: {
      perAddress: read(env, "SIGN_UP_RATE_LIMIT_PER_ADDRESS", 10, int(1, 1_000_000)),
      windowMs: read(env, "SIGN_UP_RATE_LIMIT_WINDOW", 3600_000, window),
    },
    ssoLoginRateLimit: {
      perAddress: read(env, "SSO_LOGIN_RATE_LIMIT_PER_ADDRESS", 30, int(1, 1_000_000)),
      windowMs: read(env, "SSO_LOGIN_RATE_LIMIT_WINDOW", 10 * 60_000, window),
    },
    mailRateLimit: {
      perRecipient: read(env, "MAIL_RATE_LIMIT_PER_RECIPIENT", 20, int(1, 1_000_000)),
      windowMs: read(env, "MAIL_RATE_LIMIT_WINDOW", 3600_000, window),
    },
    redisUrl: read(env, "REDIS_URL", undefined, url(["redis:", "rediss:"]), redactedUrl),
    redisKeyPrefix: read(env, "REDIS_KEY_PREFIX", "ttn-identity:", (s) => s),
    connections: {
      headersTimeoutMs,
      requestTimeoutMs,
      keepAliveTimeoutMs: read(env, "HTTP_KEEP_ALIVE_TIMEOUT", CONNECTION_DEFAULTS.keepAliveTimeoutMs, timerDuration),
      http2IdleTimeoutMs: read(env, "HTTP2_IDLE_TIMEOUT", CONNECTION_DEFAULTS.http2IdleTimeoutMs, timerDuration),
      http2MaxConcurrentStreams: read(env, "HTTP2_MAX_CONCURRENT_STREAMS", CONNECTION_DEFAULTS.http2MaxConcurrentStreams, int(1, 10_000)),
      http2MaxResetsPerMinute: read(env, "HTTP2_MAX_RESETS_PER_MINUTE", CONNECTION_DEFAULTS.http2MaxResetsPerMinute, int(1, 1_000_000)),
    },
    requestLimits: { maxBytes: maxRequestBytes, maxPictureBytes: maxPictureRequestBytes },
    trustProxy: read(env, "TRUST_PROXY", false, bool),
    clusterKeys: read(env, "CLUSTER_KEYS", [] as Buffer[], hexKeys, hidden),
    authProviderSecretKey: read(env, "AUTH_PROVIDER_SECRET_KEY", undefined as Buffer | undefined, aes256Key, hidden),
    mailRetry: {
      attempts: read(env, "MAIL_RETRY_ATTEMPTS", 10, int(1, 1000)),
      backoffMs: mailBackoffMs,
      maxBackoffMs: mailMaxBackoffMs,
      pollIntervalMs: read(env, "MAIL_POLL_INTERVAL", 5_000, timerDuration),
    },
    workers,
    // One core fewer than the machine has, divided among the workers: hashing never takes every core.
    passwordHashConcurrency: read(env, "PASSWORD_HASH_CONCURRENCY", Math.max(1, Math.floor((os.availableParallelism() - 1) / workers)), int(1, 64)),
    passwordHashPriority: read(env, "PASSWORD_HASH_PRIORITY", "idle" as const, oneOf(["idle", "low"] as const)),
    migrateOnStart: read(env, "MIGRATE_ON_START", true, bool),
    metrics: {
      enabled: read(env, "METRICS_ENABLED", true, bool),
      token: read(env, "METRICS_TOKEN", undefined as string | undefined, (s) => {
        if (s.length < 16) throw new Error("expected at least 16 characters");
        return s;
      }, hidden),
    },
    shutdownDelayMs: read(env, "SHUTDOWN_DELAY", 0, (raw) => (raw === "0" ? 0 : timerDuration(raw))),
    cleanup: {
      intervalMs: read(env, "CLEANUP_INTERVAL", 3600_000, timerDuration),
      retentionMs: read(env, "EXPIRED_RETENTION", 7 * 24 * 3600_000, (raw) => (raw === "0" ? 0 : duration(raw))),
    },
    emailValidation: {
      required: read(env, "EMAIL_VALIDATION_REQUIRED", false, bool),
      tokenTtlMs: read(env, "EMAIL_VALIDATION_TOKEN_TTL", 48 * 3600_000, duration),
      retryIntervalMs: read(env, "EMAIL_VALIDATION_RETRY_INTERVAL", 3600_000, duration),
    },
  };
}
