import type { Batch, Kafka, KafkaMessage } from "kafkajs";
import type { Redis } from "ioredis";
import type { Logger } from "../log";
import type { StoreKeys } from "../store/keys";
import { appendRecords, type ConsumedRecord, type StoreLimits } from "../store/message-store";
import { sendDeadLetters, type DeadLetter } from "./dead-letters";
import { DurableProducer } from "../kafka/producer";
import { decodeRecord, REQUEST_ID_HEADER } from "../kafka/record";
import type { ConsumerMetrics } from "./metrics";
import { groupConsumer } from "./group";
import { untilDone } from "./until-done";

export type BoardConsumerOptions = {
  kafka: Kafka;
  redis: Redis;
  keys: StoreKeys;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  sessionTimeoutMs?: number;
  limits: StoreLimits;
  log: Logger;
  metrics?: ConsumerMetrics;
};

export type BoardConsumer = { stop(): Promise<void> };

/**
 * Moves records from Kafka into the Redis store. At least once, made exactly once by the store: offsets are
 * committed only after Redis has applied the batch (and the dead-letter topic has what could not be
 * stored), and applying a batch twice changes nothing.
 */
export async function startBoardConsumer(options: BoardConsumerOptions): Promise<BoardConsumer> {
  const { kafka, topic, deadLetterTopic, groupId, log, metrics } = options;
  const consumer = groupConsumer(kafka, groupId, log, options.sessionTimeoutMs);
  const deadLetters = new DurableProducer(kafka);

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const { records, dead } = sortBatch(batch, Date.now());
      const retry = { heartbeat, giveUp: () => !isRunning() || isStale(), log };
      metrics?.consumed.inc(batch.messages.length);
      await untilDone("dead-letter write", () => sendDeadLetters(deadLetters, deadLetterTopic, topic, dead), retry);
      for (const { partition, record, reason } of dead) {
        log.warn("dead-lettered a record that is not a message", { topic, partition, offset: record.offset, reason, requestId: requestIdOf(record) });
      }
      metrics?.deadLettered.inc(dead.length);
      const stored = await untilDone("Redis write", () => appendRecords(options.redis, options.keys, options.limits, topic, records), {
        ...retry,
        onFailure: () => metrics?.redisErrors.inc(),
      });
      metrics?.stored.inc(stored);
      for (const { partition, offset, message, requestId } of records) {
        log.debug("stored message", { id: message.id, partition, offset, requestId });
      }
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
      metrics?.lag.set({ partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1));
    },
  });
  return {
    // disconnect() lets the batch in hand finish, commits what it resolved and leaves the group, so that
    // its partitions move to another member at once rather than after a session timeout.
    async stop() {
      await consumer.disconnect();
      await deadLetters.disconnect();
    },
  };
}

type Consumed = ConsumedRecord & { requestId: string | undefined };

function sortBatch(batch: Batch, consumedAt: number): { records: Consumed[]; dead: DeadLetter[] } {
  const records: Consumed[] = [];
  const dead: DeadLetter[] = [];
  for (const record of batch.messages) {
    const decoded = decodeRecord(record.value);
    if (!decoded.ok) {
      dead.push({ partition: batch.partition, record, reason: decoded.reason });
      continue;
    }
    // On a topic with message.timestamp.type=LogAppendTime the timestamp is when the broker appended it.
    const appendedAt = Number(record.timestamp);
    records.push({
      partition: batch.partition,
      offset: record.offset,
      message: decoded.message,
      appendedAt: Number.isFinite(appendedAt) && appendedAt > 0 ? appendedAt : undefined,
      consumedAt,
      requestId: requestIdOf(record),
    });
  }
  return { records, dead };
}

function requestIdOf(record: KafkaMessage): string | undefined {
  return record.headers?.[REQUEST_ID_HEADER]?.toString();
}
