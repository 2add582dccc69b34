import type { Admin, Kafka } from "kafkajs";
import pg from "pg";
import type { Logger } from "../log";
import { errorFields } from "../log";
import { decodeRecord } from "../kafka/record";
import type { Database } from "../history/database";
import { HISTORY_RESET_CHANNEL, historyOffsets, writeHistory, type HistoryRecord } from "../history/message-history";
import type { ConsumerMetrics } from "./metrics";
import { groupConsumer, restartingRun, subscribeWhenKnown } from "./group";
import { deadline, untilDone } from "./until-done";
import type { LogIdentity } from "../kafka/log-identity";
import { logFollower, trackedSeeks, type RebuildNotices } from "./followed-log";
import { historyView, topicEnds } from "./log-views";

export type HistoryConsumerOptions = {
  kafka: Kafka;
  database: Database;
  databaseUrl: string;
  topic: string;
  groupId: string;
  sessionTimeoutMs?: number;
  /** Which log a topic name stands for now. */
  identify(topic: string): Promise<LogIdentity>;
  /** Where history says it is being rebuilt. */
  notices?: RebuildNotices;
  log: Logger;
  metrics?: ConsumerMetrics;
};

// How often a rebuild's progress is noted, and every how many of those history is compared with the log
// Kafka has when nothing else made it so.
const TICK_MS = 1000;
const LOG_CHECK_EVERY = 5;

/**
 * Moves records from Kafka into PostgreSQL, as a consumer group of its own: history neither waits for the
 * board's store nor holds it up. PostgreSQL keeps each partition's offset with the rows, so history is
 * exactly once whatever Kafka's committed offsets say (those are committed too, for the lag figures). The
 * offsets are positions in the log history records; history of another log is written again from this one.
 */
export async function startHistoryConsumer(options: HistoryConsumerOptions): Promise<{ stop(): Promise<void> }> {
  const { kafka, database, topic, groupId, log, metrics } = options;
  const consumer = groupConsumer(kafka, groupId, log, options.sessionTimeoutMs);
  const admin = kafka.admin();
  const view = historyView(database, topic);
  const follower = logFollower({ views: [view], identify: options.identify, ends: (of) => topicEnds(admin, of), notices: options.notices, log, metrics });
  const positions = trackedSeeks(consumer, { group: groupId, log, metrics });
  const seek = (partition: number, offset: string) => positions.seek(topic, partition, offset);
  let assigned: number[] = [];
  /** Partitions read from where history stops (the start of the log, once it is cleared), not from the group's offsets. */
  const readFromHistory = async (partitions: readonly number[]) => {
    const [next, starts] = await Promise.all([historyOffsets(database, topic), logStarts(admin, topic)]);
    for (const partition of partitions) seek(partition, next.get(partition) ?? starts.get(partition) ?? "0");
  };
  // Batches wait until history has been compared with the log and each partition sent where history stops.
  let settled = Promise.resolve();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment[topic] ?? [];
    positions.forget();
    settled = follower
      .check()
      .then(() => readFromHistory(assigned))
      .catch((error: unknown) =>
        log.warn("could not compare history's log with Kafka's, or read where it stops; reading from the group's offsets", errorFields(error)),
      );
  });

  await admin.connect();
  await untilDone("comparing history's log with Kafka's", follower.check, { heartbeat: async () => {}, giveUp: deadline(30_000), log });
  await consumer.connect();
  await subscribeWhenKnown(consumer, [topic], log);
  const resets = listenForResets(options.databaseUrl, log, () => {
    log.info("history was cleared: reading the log again from its start", { partitions: assigned });
    readFromHistory(assigned).catch((error: unknown) => log.error("could not go back to the start of the log", errorFields(error)));
  });
  // Every second a rebuild's progress; every few, history compared with the log Kafka has.
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks % LOG_CHECK_EVERY !== 0) return void follower.rebuildProgress();
    void follower
      .checkQuietly()
      .then((changed) => (changed ? readFromHistory(assigned) : undefined))
      .catch((error: unknown) => log.warn("could not read where history stops", errorFields(error)));
  }, TICK_MS);
  const running = restartingRun(consumer, log);
  await running.run({
    eachBatchAutoResolve: false,
    // Each partition's batch is its own transaction under its own lock: while one waits on PostgreSQL,
    // the next is decoded, so the database's cores and this process's one are busy at once.
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      await settled;
      if (isStale()) return;
      const { partition } = batch;
      const retry = { heartbeat, giveUp: () => !isRunning() || isStale(), log };
      /** Resolves to whether history was moved to the current log. */
      const compareWithLog = () => untilDone("comparing history's log with Kafka's", follower.check, retry);
      if (positions.movedBack(topic, partition, batch.firstOffset() ?? "0") && (await compareWithLog())) return readFromHistory(assigned);
      const records: HistoryRecord[] = batch.messages.map((record) => {
        const decoded = decodeRecord(record.value);
        const appendedAt = Number(record.timestamp);
        return {
          offset: record.offset,
          message: decoded.ok ? decoded.message : undefined,
          change: decoded.ok ? decoded.change : undefined,
          appendedAt: Number.isFinite(appendedAt) && appendedAt > 0 ? appendedAt : undefined,
        };
      });
      const from = { log: follower.current(view), logStart: async () => (await logStarts(admin, topic)).get(partition) ?? "0" };
      const written = await untilDone("PostgreSQL write", () => writeHistory(database, topic, partition, records, from), {
        ...retry,
        onFailure: () => metrics?.postgresErrors.inc(),
      });
      if ("otherLog" in written) {
        // Another consumer moved history to a new log first, or this one has not noticed yet.
        await compareWithLog();
        return readFromHistory([partition]);
      }
      if ("gapFrom" in written) {
        // History was cleared, or this group's committed offset is ahead of it: read from where it stops.
        log.info("history is behind this batch: reading from where it stops", { partition, from: written.gapFrom, batchFrom: batch.firstOffset() });
        seek(partition, written.gapFrom);
        return;
      }
      metrics?.historyStored.inc(written.stored);
      resolveOffset(batch.lastOffset());
      if (!isStale()) positions.read(topic, partition, batch.lastOffset());
      await commitOffsetsIfNecessary();
    },
  });
  return {
    async stop() {
      clearInterval(timer);
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
