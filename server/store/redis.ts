// The Redis connection shared by whatever this process keeps in Redis (today: rate-limit counters). Absent
// unless REDIS_URL is set.
import { Redis } from "ioredis";

/**
 * A client that fails fast instead of queueing: while Redis is unreachable a command is refused at once (no
 * offline queue, one retry, a short command timeout), so callers fall back (rate limits count in memory) rather
 * than making requests wait. It reconnects in the background.
 */
export function openRedis(url: string): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
  client.on("error", () => {}); // connection errors are seen by the commands that fail; never crash on them
  return client;
}

/**
 * Waits until the client is connected, at most `timeoutMs`; false when it is not (the service starts anyway and
 * counts in memory until Redis answers).
 */
export async function redisReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => { client.off("ready", onReady); resolve(false); }, timeoutMs);
    const onReady = () => { clearTimeout(timer); resolve(true); };
    client.once("ready", onReady);
  });
}

/** Closes politely, or drops the connection when Redis does not answer. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1_000).unref())]);
  } catch {
    client.disconnect();
  }
}
