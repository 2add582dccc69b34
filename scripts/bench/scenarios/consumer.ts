import { startBoardConsumer } from "../../../src/lib/consumer/board-consumer";
import { logKey, readLogIdentity } from "../../../src/lib/kafka/log-identity";
import { seedStore } from "../../../src/lib/store/message-store";
import { createRedis } from "../../../src/lib/store/redis";
import { figure } from "../measure";
import { startNaiveConsumer } from "../naive";
import { waitFor } from "../../stack/wait";
import { row, results, repeat } from "../report";
import type { BenchContext } from "../context";

export async function consumer(ctx: BenchContext): Promise<void> {
  const { stack, kafka, redis, fresh, quiet, say, size, produceBacklog } = ctx;
  // 4. Consumer: a backlog waiting in Kafka, drained into Redis.
  say("Consumer…");
  const drain = async (naive: boolean, backlog: number) => {
    const board = await fresh();
    await produceBacklog(kafka, board.id, backlog);
    const started = performance.now();
    if (naive) {
      const consumer = await startNaiveConsumer(stack.brokers, stack.redisUrl, board.id, {
        list: board.keys.board("main").list,
        channel: board.keys.channel,
      });
      await waitFor("the naive consumer to drain", async () => Number(await redis.get(`${board.keys.board("main").list}:count`)) >= backlog, {
        timeoutMs: 600_000,
        intervalMs: 50,
      });
      const elapsed = performance.now() - started;
      await consumer.disconnect();
      consumer.redis.disconnect();
      return (backlog / elapsed) * 1000;
    }
    const store = createRedis(stack.redisUrl, "bench-consumer");
    // A store that exists but has read nothing yet, as when its consumer was down while the backlog
    // grew: an empty one would be refilled with the newest records only.
    const limits = { history: 100, dedupeWindow: 10_000 };
    const identify = (topic: string) => readLogIdentity(stack.brokers, topic);
    const log = logKey(await identify(board.id));
    await seedStore(store, board.keys, limits, board.id, [], { log, nextOffsets: new Map([0, 1, 2].map((partition) => [partition, "0"])) });
    const consumer = await startBoardConsumer({
      kafka,
      identify,
      redis: store,
      keys: board.keys,
      topic: board.id,
      boardsTopic: `${board.id}.boards`,
      deadLetterTopic: `${board.id}.dlq`,
      groupId: `${board.id}-store`,
      limits,
      log: quiet,
    });
    await waitFor("the consumer to drain", async () => Number(await redis.get(board.keys.board("main").seq)) >= backlog, {
      timeoutMs: 600_000,
      intervalMs: 50,
    });
    const elapsed = performance.now() - started;
    await consumer.stop();
    store.disconnect();
    return (backlog / elapsed) * 1000;
  };
  const consumerProduct = figure(await repeat(size.runs, () => drain(false, size.backlog)));
  const consumerBaseline = figure(await repeat(size.runs, () => drain(true, size.baselineBacklog)));
  results.consumer = { backlog: size.backlog, baselineBacklog: size.baselineBacklog, product: consumerProduct, baseline: consumerBaseline };
  row(
    `consumer, backlog ${size.backlog.toLocaleString("en")} (naive: ${size.baselineBacklog.toLocaleString("en")})`,
    consumerProduct,
    consumerBaseline,
    "rec/s",
  );
}
