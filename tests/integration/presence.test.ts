// How many read a board, counted across web processes on the real redis-server: each process's counts,
// announced over Pub/Sub, taken back when it leaves, and dropped when it stops renewing them.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import type { Redis } from "ioredis";
import { Presence } from "../../src/lib/realtime/presence";
import { syncReaders } from "../../src/lib/store/readers";
import { silentLog } from "../support/silent-log";
import { testRedis, uniqueNames, waitFor } from "../support/stack";

const { keys } = uniqueNames("readers");
const probe = testRedis();
const connections: Redis[] = [probe];
after(() => connections.forEach((redis) => redis.disconnect()));

/** A web process's counting, on connections of its own; `totals` is what it was told of each board. */
async function process(ttlMs: number, tickMs: number, hears = true) {
  const [redis, subscriber] = [testRedis(), testRedis()];
  connections.push(redis, subscriber);
  const id = randomUUID();
  const totals = new Map<string, number>();
  const presence = new Presence({
    sync: (counts, leaving) => syncReaders(redis, keys, { id, ttlMs: leaving ? 0 : ttlMs }, counts),
    announce: (payload) => redis.publish(keys.readersChannel, payload),
    onTotal: (board, total) => totals.set(board, total),
    log: silentLog,
    flushMs: 10,
    tickMs,
  });
  subscriber.on("message", (_channel: string, payload: string) => presence.heard(payload));
  if (hears) await subscriber.subscribe(keys.readersChannel);
  return { presence, totals };
}

test("counts add up across processes, drop at once when one leaves, and within its lapse when one stops renewing", async () => {
  const a = await process(1000, 200);
  const b = await process(1000, 200);
  // One that stops renewing after its first write, as a process that died does: it neither ticks within
  // the test nor hears the others.
  const dead = await process(1000, 60_000, false);

  a.presence.set("main", 2);
  b.presence.set("main", 1);
  b.presence.set("other", 1);
  await waitFor("both to count 3 on main", () => a.totals.get("main") === 3 && b.totals.get("main") === 3);
  assert.equal(b.totals.get("other"), 1, "each board counts apart");

  dead.presence.set("main", 4);
  await waitFor("7 on main", () => a.totals.get("main") === 7 && b.totals.get("main") === 7);
  const stopped = Date.now();
  await waitFor("the silent one's 4 to drop out", () => a.totals.get("main") === 3 && b.totals.get("main") === 3, { timeoutMs: 5000 });
  const lapsed = Date.now() - stopped;
  assert.ok(lapsed >= 500, `dropped after ${lapsed} ms, once its counts lapsed`);

  const leaving = Date.now();
  await b.presence.leave();
  await waitFor("b's reader to leave main", () => a.totals.get("main") === 2);
  assert.ok(Date.now() - leaving < 500, `taken back at once, not left to lapse: ${Date.now() - leaving} ms`);
  assert.equal(await probe.hlen(keys.boardReaders("other")), 0, "nothing of b is left behind");
});
