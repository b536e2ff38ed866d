// Where authentication reads credentials: through the credential cache, falling back to one raw query that
// resolves the credential and its owner together.
import type { Database } from "../store/database.js";
import { readApiKeyForAuth, readSessionForAuth, type ApiKeyForAuth, type SessionForAuth } from "../store/credentials.js";
import { touchSession } from "../store/sessions.js";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { ChangeCache, type ChangeCacheOptions } from "../store/change-cache.js";

/** A cached credential row, and whatever authentication derived from it (built once, shared read-only). */
export interface CachedCredential<R> {
  ownerId: string;
  row: R;
  derived?: unknown;
}

export class Credentials {
  private readonly keys: ChangeCache<CachedCredential<ApiKeyForAuth>>;
  private readonly sessions: ChangeCache<CachedCredential<SessionForAuth>>;
  private readonly db: PrismaClient;

  constructor(private readonly database: Pick<Database, "sql" | "changes" | "prisma">, options: ChangeCacheOptions = {}) {
    this.db = database.prisma;
    this.keys = new ChangeCache(database.changes, options);
    this.sessions = new ChangeCache(database.changes, options);
  }

  /** The key with its owner, cached or read; null when it does not exist. Ownerless keys are never cached. */
  async apiKey(id: string): Promise<CachedCredential<ApiKeyForAuth> | null> {
    const key = `k:${id}`;
    const cached = this.keys.get(key);
    if (cached) return cached;
    const generation = this.keys.begin();
    const row = await readApiKeyForAuth(this.database.sql, id);
    if (!row) return null;
    const entry = { ownerId: row.user?.id ?? "", row };
    if (row.user) this.keys.put(key, generation, entry);
    return entry;
  }

  /** The session with its owner; `fresh` skips the cache (e.g. to see another instance's sliding expiry). */
  async session(id: string, fresh = false): Promise<CachedCredential<SessionForAuth> | null> {
    const key = `s:${id}`;
    const cached = fresh ? undefined : this.sessions.get(key);
    if (cached) return cached;
    const generation = this.sessions.begin();
    const row = await readSessionForAuth(this.database.sql, id);
    if (!row) return null;
    const entry = { ownerId: row.user?.id ?? "", row };
    if (row.user) this.sessions.put(key, generation, entry);
    return entry;
  }

  /** Records a session's use (sliding its idle deadline) and keeps the cached copy in step. */
  async touchSession(entry: CachedCredential<SessionForAuth>, lastSeenAt: Date, expiresAt: Date): Promise<CachedCredential<SessionForAuth>> {
    await touchSession(this.db, entry.row.id, lastSeenAt, expiresAt);
    const touched = { ownerId: entry.ownerId, row: { ...entry.row, lastSeenAt, expiresAt } };
    this.sessions.update(`s:${entry.row.id}`, touched);
    return touched;
  }
}
