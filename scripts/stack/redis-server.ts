import { mkdirSync } from "node:fs";
import { Redis } from "ioredis";
import { startProcess, type ManagedProcess, type Output, type Started } from "./processes";
import { untilReady } from "./wait";

export type RedisServer = ManagedProcess & { url: string };

/**
 * A redis-server of our own, with its data in `dataDir` and the append-only file on, so that what was
 * stored survives a restart. Its own flags, not the system's redis.conf.
 */
export async function startRedisServer({
  port,
  dataDir,
  output,
  onStart,
}: {
  port: number;
  dataDir: string;
  output: Output;
  onStart?: Started;
}): Promise<RedisServer> {
  mkdirSync(dataDir, { recursive: true });
  const server = startProcess(
    "redis",
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dataDir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no"],
    { output },
  );
  onStart?.(server);
  const url = `redis://127.0.0.1:${port}`;
  await untilReady(server, `Redis on port ${port}`, () => ping(url), 20_000);
  return { ...server, url };
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    // While it loads the append-only file, Redis answers LOADING to everything but PING.
    const info = await client.info("persistence");
    return /loading:0/.test(info);
  } finally {
    client.disconnect();
  }
}
