import type { Batch, Kafka } from "kafkajs";
import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import type { StoreKeys } from "../store/keys";
import { appendRecords, type ConsumedRecord, type StoreLimits } from "../store/message-store";
import { sendDeadLetters, type DeadLetter } from "./dead-letters";
import { DurableProducer } from "./producer";
import { decodeRecord } from "./record";

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
};

export type BoardConsumer = { stop(): Promise<void> };

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * Moves records from Kafka into the Redis store. At least once, made exactly once by the store: offsets are
 * committed only after Redis has applied the batch (and the dead-letter topic has what could not be
 * stored), and applying a batch twice changes nothing.
 */
export async function startBoardConsumer(options: BoardConsumerOptions): Promise<BoardConsumer> {
  const { kafka, topic, deadLetterTopic, groupId, log } = options;
  const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout, heartbeatInterval: Math.floor(sessionTimeout / 3) });
  const deadLetters = new DurableProducer(kafka);
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
      const { records, dead } = sortBatch(batch);
      const retry = { heartbeat, giveUp: () => !isRunning() || isStale(), log };
      await untilDone("dead-letter write", () => sendDeadLetters(deadLetters, deadLetterTopic, topic, dead), retry);
      for (const { partition, record, reason } of dead) {
        log.warn("dead-lettered a record that is not a message", { topic, partition, offset: record.offset, reason });
      }
      await untilDone("Redis write", () => appendRecords(options.redis, options.keys, options.limits, topic, records), retry);
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
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

function sortBatch(batch: Batch): { records: ConsumedRecord[]; dead: DeadLetter[] } {
  const records: ConsumedRecord[] = [];
  const dead: DeadLetter[] = [];
  for (const record of batch.messages) {
    const decoded = decodeRecord(record.value);
    if (decoded.ok) records.push({ partition: batch.partition, offset: record.offset, message: decoded.message });
    else dead.push({ partition: batch.partition, record, reason: decoded.reason });
  }
  return { records, dead };
}

/**
 * Redis or the broker being down is not the record's fault: keep the batch, back off and try again,
 * heartbeating so that the group does not hand the partition to someone else meanwhile.
 */
async function untilDone(
  what: string,
  step: () => Promise<unknown>,
  { heartbeat, giveUp, log }: { heartbeat: () => Promise<void>; giveUp: () => boolean; log: Logger },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await step();
      if (attempt > 1) log.info(`${what} succeeded again`, { attempts: attempt });
      return;
    } catch (error) {
      if (giveUp()) throw error;
      const delayMs = Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS);
      log.warn(`${what} failed; retrying`, { ...errorFields(error), attempt, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await heartbeat();
    }
  }
}
