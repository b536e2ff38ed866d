// Rows kept in memory until the database says they changed: verified credentials (auth/credentials.ts) and user
// rows (users.ts), so an authenticated call usually costs no database round trip. Such a cache must never extend a
// revocation: the database announces every committed change to those rows (ChangeFeed), and the entries it names
// are dropped before anything else reads them; while announcements could be missed, nothing is served from here.
import type { ChangeFeed } from "./database.js";

/** The owner of entries about all users: any announced change of a user (or `u:*`, rows added) drops them. */
export const ALL_USERS = "*";

/** What an entry must tell about itself so that a change of its owner drops it too. */
export interface Cached {
  /** Internal UUID of the user the row is or belongs to. */
  ownerId: string;
}

export interface ChangeCacheOptions {
  /** Entries kept at most (least recently added go first). */
  maxEntries?: number;
  /** An entry is read again from the database after this long, announcements or not. */
  maxAgeMs?: number;
}

interface Entry<T> {
  value: T;
  storedAt: number;
}

/**
 * Keys are `k:<api key id>` and `s:<session id>`, the payloads the database announces, or any other key of the
 * owner's (users.ts: `r:<user_id>`); `u:<uuid>` drops every entry of that user. A read that began before a change must not store what it read (it may predate the change):
 * `begin()` hands out the current generation, and `put` refuses a value read under an older one.
 */
export class ChangeCache<T extends Cached> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly byOwner = new Map<string, Set<string>>();
  private generation = 0;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(private readonly feed: ChangeFeed, options: ChangeCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    feed.onChange((payload) => this.invalidate(payload));
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (performance.now() - entry.storedAt > this.maxAgeMs) {
      this.remove(key);
      return undefined;
    }
    return entry.value;
  }

  /** The generation to hand to `put` for a value about to be read from the database. */
  begin(): number {
    return this.generation;
  }

  put(key: string, generation: number, value: T): void {
    if (generation !== this.generation || !this.feed.live) return;
    this.remove(key);
    if (this.entries.size >= this.maxEntries) this.remove(this.entries.keys().next().value!);
    this.entries.set(key, { value, storedAt: performance.now() });
    let keys = this.byOwner.get(value.ownerId);
    if (!keys) this.byOwner.set(value.ownerId, (keys = new Set()));
    keys.add(key);
  }

  /** Replaces a cached value after this instance itself changed it (a session's sliding expiry). */
  update(key: string, value: T): void {
    const entry = this.entries.get(key);
    if (entry) entry.value = value;
  }

  invalidate(payload: string): void {
    this.generation++;
    if (payload === "*") {
      this.entries.clear();
      this.byOwner.clear();
    } else if (payload.startsWith("u:")) {
      // Any change of users also drops what is about all of them (owner `*`, e.g. how many there are).
      for (const owner of new Set([payload.slice(2), ALL_USERS])) {
        for (const key of this.byOwner.get(owner) ?? []) this.entries.delete(key);
        this.byOwner.delete(owner);
      }
    } else {
      this.remove(payload);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.byOwner.get(entry.value.ownerId);
    keys?.delete(key);
    if (keys?.size === 0) this.byOwner.delete(entry.value.ownerId);
  }
}
