import type { Admin, Kafka } from "kafkajs";
import pg from "pg";
import type { Logger } from "../log";
import { errorFields } from "../log";
import { decodeRecord } from "../kafka/record";
import type { Database } from "../history/database";
import { HISTORY_RESET_CHANNEL, writeHistory, type HistoryRecord } from "../history/message-history";
import type { ConsumerMetrics } from "./metrics";
import { groupConsumer, restartingRun, subscribeWhenKnown } from "./group";
import { untilDone } from "./until-done";

export type HistoryConsumerOptions = {
  kafka: Kafka;
  database: Database;
  databaseUrl: string;
  topic: string;
  groupId: string;
  sessionTimeoutMs?: number;
  log: Logger;
  metrics?: ConsumerMetrics;
};

/**
 * Moves records from Kafka into PostgreSQL, as a consumer group of its own: history neither waits for the
 * board's store nor holds it up. PostgreSQL keeps each partition's offset with the rows, so history is
 * exactly once whatever Kafka's committed offsets say (those are committed too, for the lag figures).
 */
export async function startHistoryConsumer(options: HistoryConsumerOptions): Promise<{ stop(): Promise<void> }> {
  const { kafka, database, topic, groupId, log, metrics } = options;
  const consumer = groupConsumer(kafka, groupId, log, options.sessionTimeoutMs);
  const admin = kafka.admin();
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment[topic] ?? [];
  });
  const rewind = async (partitions: readonly number[]) => {
    const starts = await logStarts(admin, topic);
    for (const partition of partitions) consumer.seek({ topic, partition, offset: starts.get(partition) ?? "0" });
  };

  await admin.connect();
  await consumer.connect();
  await subscribeWhenKnown(consumer, [topic], log);
  const resets = listenForResets(options.databaseUrl, log, () => {
    log.info("history was cleared: reading the log again from its start", { partitions: assigned });
    rewind(assigned).catch((error: unknown) => log.error("could not go back to the start of the log", errorFields(error)));
  });
  const running = restartingRun(consumer, log);
  await running.run({
    eachBatchAutoResolve: false,
    // Each partition's batch is its own transaction under its own lock: while one waits on PostgreSQL,
    // the next is decoded, so the database's cores and this process's one are busy at once.
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const { partition } = batch;
      const records: HistoryRecord[] = batch.messages.map((record) => {
        const decoded = decodeRecord(record.value);
        const appendedAt = Number(record.timestamp);
        return {
          offset: record.offset,
          message: decoded.ok ? decoded.message : undefined,
          appendedAt: Number.isFinite(appendedAt) && appendedAt > 0 ? appendedAt : undefined,
        };
      });
      const start = async () => (await logStarts(admin, topic)).get(partition) ?? "0";
      const written = await untilDone("PostgreSQL write", () => writeHistory(database, topic, partition, records, start), {
        heartbeat,
        giveUp: () => !isRunning() || isStale(),
        log,
        onFailure: () => metrics?.postgresErrors.inc(),
      });
      if ("gapFrom" in written) {
        // History was cleared, or this group's committed offset is ahead of it: read from where it stops.
        log.info("history is behind this batch: reading from where it stops", { partition, from: written.gapFrom, batchFrom: batch.firstOffset() });
        consumer.seek({ topic, partition, offset: written.gapFrom });
        return;
      }
      metrics?.historyStored.inc(written.stored);
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  return {
    async stop() {
      await running.stop();
      await admin.disconnect();
      await resets.end();
    },
  };
}

/** The oldest offset the log keeps, per partition. */
async function logStarts(admin: Admin, topic: string): Promise<Map<number, string>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((entry) => [entry.partition, entry.low]));
}

/**
 * A connection of its own that hears when history is cleared (`npm run rebuild -- postgres`). If it
 * drops, it is made again: missing a reset only delays the rebuild until the next record arrives.
 */
function listenForResets(url: string, log: Logger, onReset: () => void): { end(): Promise<void> } {
  let client: pg.Client | undefined;
  let ended = false;
  const connect = () => {
    if (ended) return;
    const next = new pg.Client({ connectionString: url, application_name: "message-board-history-listener" });
    let retrying = false;
    const retry = () => {
      if (retrying || ended) return;
      retrying = true;
      setTimeout(connect, 1000);
    };
    next.on("notification", onReset);
    next.on("error", (error) => log.warn("the history reset listener lost PostgreSQL", errorFields(error)));
    next.on("end", retry);
    next
      .connect()
      .then(() => next.query(`LISTEN ${HISTORY_RESET_CHANNEL}`))
      .then(
        () => void (client = next),
        () => {
          retry();
          void next.end().catch(() => {});
        },
      );
  };
  connect();
  return {
    async end() {
      ended = true;
      await client?.end().catch(() => {});
    },
  };
}
