import { Redis } from "ioredis";

/**
 * A Redis connection that fails a command within about a second while Redis is down, instead of queueing
 * it forever, and keeps reconnecting in the background so that service resumes by itself.
 */
export function createRedis(url: string, connectionName: string, { autoPipelining = false } = {}): Redis {
  return new Redis(url, {
    connectionName,
    // Commands issued in the same tick go out in one write: under load, one syscall for many posts' checks.
    enableAutoPipelining: autoPipelining,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 3000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
  });
}
