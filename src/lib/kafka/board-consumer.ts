import type { Batch, Kafka } from "kafkajs";
import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import type { StoreKeys } from "../store/keys";
import { appendRecords, type ConsumedRecord } from "../store/message-store";
import { decodeRecord } from "./record";

export type BoardConsumerOptions = {
  kafka: Kafka;
  redis: Redis;
  keys: StoreKeys;
  topic: string;
  groupId: string;
  historyLimit: number;
  log: Logger;
};

export type BoardConsumer = { stop(): Promise<void> };

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * Moves records from Kafka into the Redis store. At least once, made exactly once by the store: offsets are
 * committed only after Redis has applied the batch, and applying a batch twice changes nothing.
 */
export async function startBoardConsumer(options: BoardConsumerOptions): Promise<BoardConsumer> {
  const { kafka, topic, groupId, log } = options;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    log.info("joined consumer group", { groupId, memberId: payload.memberId, assignment: payload.memberAssignment }),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    log.error("consumer crashed", { ...errorFields(payload.error), restart: payload.restart }),
  );

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const records = validRecords(batch, log);
      await untilStored(() => appendRecords(options.redis, options.keys, options.historyLimit, topic, records), {
        heartbeat,
        giveUp: () => !isRunning() || isStale(),
        log,
      });
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  // disconnect() lets the batch in hand finish, commits what it resolved and leaves the group, so that
  // its partitions move to another member at once rather than after a session timeout.
  return { stop: () => consumer.disconnect() };
}

function validRecords(batch: Batch, log: Logger): ConsumedRecord[] {
  const records: ConsumedRecord[] = [];
  for (const { offset, value } of batch.messages) {
    const decoded = decodeRecord(value);
    if (decoded.ok) records.push({ partition: batch.partition, offset, message: decoded.message });
    else log.warn("skipped invalid record", { topic: batch.topic, partition: batch.partition, offset, reason: decoded.reason });
  }
  return records;
}

/**
 * Redis being down is not the record's fault: keep the batch, back off and try again, heartbeating so
 * that the group does not hand the partition to someone else meanwhile.
 */
async function untilStored(
  write: () => Promise<number>,
  { heartbeat, giveUp, log }: { heartbeat: () => Promise<void>; giveUp: () => boolean; log: Logger },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      if (attempt > 1) log.info("Redis write succeeded again", { attempts: attempt });
      return;
    } catch (error) {
      if (giveUp()) throw error;
      const delayMs = Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS);
      log.warn("Redis write failed; retrying", { ...errorFields(error), attempt, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await heartbeat();
    }
  }
}
