import type { Kafka } from "kafkajs";
import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import { decodeJson } from "../kafka/record";
import { boardActivityRecordSchema, messageReactionsSchema, type BoardActivityRecord, type MessageReactions } from "../messages/reactions";
import type { StoreKeys } from "../store/keys";
import { applyResults, resultsLost } from "../store/reactions";
import type { Database } from "../history/database";
import { storeReactions } from "../history/reaction-history";
import { groupConsumer, restartingRun, subscribeWhenKnown } from "./group";
import { untilDone } from "./until-done";

/** Where the processor's results are kept: Redis for the live page, PostgreSQL for history. */
export type ResultsView = {
  /** Writes a batch's latest results, and how far the batch reached. */
  apply(reactions: MessageReactions[], activity: BoardActivityRecord[], applied: Applied): Promise<void>;
  /** How far a batch of transaction markers alone reached (kafkajs moves past those without a batch). */
  passed(applied: Applied): Promise<void>;
  /** Whether the view lost the results (or never had them): true once, and it is read from the start. */
  lost(): Promise<boolean>;
};
type Applied = { topic: string; partition: number; next: string };

/** The results in Redis, announced to the viewers as they change. */
export function redisResults(redis: Redis, keys: StoreKeys): ResultsView {
  return {
    apply: (reactions, activity, applied) => applyResults(redis, keys, reactions, activity, applied),
    passed: async ({ topic, partition, next }) => void (await redis.hset(keys.resultsApplied, `${topic}:${partition}`, next)),
    lost: () => resultsLost(redis, keys),
  };
}

/** The reactions in PostgreSQL, for history and search; durable, so never lost. */
export function historyResults(database: Database): ResultsView {
  return { apply: (reactions) => storeReactions(database, reactions), passed: async () => {}, lost: async () => false };
}

export type ResultsConsumerOptions = {
  kafka: Kafka;
  view: ResultsView;
  topics: { reactions: string; activity: string };
  groupId: string;
  sessionTimeoutMs?: number;
  log: Logger;
};

const CHECK_MS = 1000;

/**
 * The processor's results → a view: Redis for the live page (each message's reactions, announced to the
 * viewers, and each board's activity) or PostgreSQL for history. Read committed, so an aborted
 * transaction's results never reach a view. A result is a message's or board's whole state, so applying one
 * twice is harmless and the latest wins; offsets are committed after the view has the batch. A view that
 * lost the results (or a new one) is filled again from the start of the compacted topics, which hold the
 * latest result of every key.
 */
export async function startResultsConsumer(options: ResultsConsumerOptions): Promise<{ stop(): Promise<void> }> {
  const { kafka, view, topics, groupId, log } = options;
  const consumer = groupConsumer(kafka, groupId, log, options.sessionTimeoutMs);
  const admin = kafka.admin();
  let assigned: Record<string, number[]> = {};
  let settled = Promise.resolve();

  /** When Redis does not have the results, every assigned partition is read again from its start. */
  const readAgainIfLost = async () => {
    if (!(await view.lost())) return;
    log.info("Redis lacks the processor's results: reading them again from the start of the result topics");
    for (const [topic, partitions] of Object.entries(assigned)) {
      const lows = new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, low }) => [partition, low]));
      for (const partition of partitions) consumer.seek({ topic, partition, offset: lows.get(partition) ?? "0" });
    }
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment;
    settled = readAgainIfLost().catch((error: unknown) => log.warn("could not compare Redis with the result topics", errorFields(error)));
  });
  // A fetch of transaction markers alone (every transaction ends with one) never reaches eachBatch: kafkajs
  // moves past it by itself. How far the results are applied says so too, or a rebuild would wait for it.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize > 0) return;
    const next = (BigInt(payload.lastOffset) + 1n).toString();
    view.passed({ topic: payload.topic, partition: payload.partition, next }).catch(() => {});
  });
  let checking = false;
  const watch = setInterval(() => {
    if (checking) return;
    checking = true;
    readAgainIfLost()
      .catch((error: unknown) => log.debug("results check failed", errorFields(error)))
      .finally(() => (checking = false));
  }, CHECK_MS);

  const running = restartingRun(consumer, log);
  const stop = async () => {
    clearInterval(watch);
    await running.stop();
    await admin.disconnect();
  };
  try {
    await admin.connect();
    await consumer.connect();
    await subscribeWhenKnown(consumer, [topics.reactions, topics.activity], log);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  await running.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      await settled;
      if (isStale()) return;
      const reactions: MessageReactions[] = [];
      const activity: BoardActivityRecord[] = [];
      for (const record of batch.messages) {
        if (batch.topic === topics.reactions) {
          const decoded = decodeJson(record.value, messageReactionsSchema, "a message's reactions");
          if (decoded.ok) reactions.push(decoded.value);
        } else {
          const decoded = decodeJson(record.value, boardActivityRecordSchema, "a board's activity");
          if (decoded.ok) activity.push(decoded.value);
        }
      }
      const retry = { heartbeat, giveUp: () => !isRunning() || isStale(), log };
      const applied = { topic: batch.topic, partition: batch.partition, next: (BigInt(batch.lastOffset()) + 1n).toString() };
      const latest = { reactions: latestOf(reactions, (each) => each.message), activity: latestOf(activity, (each) => each.board) };
      await untilDone("results write", () => view.apply(latest.reactions, latest.activity, applied), retry);
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  return { stop };
}

/** The last of each key, in order: what a batch leaves each message or board at. */
function latestOf<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}
