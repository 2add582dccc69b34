// The post rate limit on the real redis-server: shared by whoever uses the same Redis.
import assert from "node:assert/strict";
import { silentLog } from "../support/silent-log";
import { after, test } from "node:test";
import { RateLimiter } from "../../src/lib/store/rate-limit";
import { createRedis } from "../../src/lib/store/redis";
import { testRedis, uniqueNames } from "../support/stack";

const clients = [testRedis(), testRedis()];
after(() => clients.forEach((redis) => redis.disconnect()));

test("a burst is allowed, the next post waits, and two instances draw from one bucket", async () => {
  const prefix = uniqueNames("rate").keys.rate;
  const [a, b] = clients.map((redis) => new RateLimiter(redis, prefix, { perMinute: 6, burst: 4 }, silentLog));
  const decisions = [];
  for (let i = 0; i < 5; i++) decisions.push(await (i % 2 === 0 ? a! : b!).take("203.0.113.7"));
  assert.deepEqual(decisions.slice(0, 4), Array(4).fill({ allowed: true }));
  const refused = decisions[4];
  assert.ok(refused && !refused.allowed && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 10, JSON.stringify(refused));
  assert.deepEqual(await a!.take("198.51.100.1"), { allowed: true }, "another client has its own bucket");
});

test("with Redis unreachable, posts are let through rather than refused", async () => {
  const down = createRedis("redis://127.0.0.1:1", "rate-test");
  down.on("error", () => {});
  try {
    const limiter = new RateLimiter(down, "rate", { perMinute: 1, burst: 1 }, silentLog);
    assert.deepEqual(await limiter.take("203.0.113.7"), { allowed: true });
  } finally {
    down.disconnect();
  }
});
