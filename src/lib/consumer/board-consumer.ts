import type { Batch, Kafka, KafkaMessage } from "kafkajs";
import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import type { StoreKeys } from "../store/keys";
import { appendRecords, readEpoch, storedUpTo, type ConsumedRecord, type StoreLimits } from "../store/message-store";
import { sendDeadLetters, type DeadLetter } from "./dead-letters";
import { DurableProducer } from "../kafka/producer";
import { decodeBoardRecord, decodeRecord, REQUEST_ID_HEADER } from "../kafka/record";
import { boardsReadUpTo, readBoards, registerBoards, type BoardsTopicRecord } from "../store/board-list";
import type { ConsumerMetrics } from "./metrics";
import { groupConsumer, restartingRun, subscribeWhenKnown } from "./group";
import { deadline, untilDone } from "./until-done";
import { recentFromLog, storeRefill, type RecentSource } from "./store-refill";
import type { LogIdentity } from "../kafka/log-identity";
import { logFollower, trackedSeeks, type RebuildNotices } from "./followed-log";
import { boardListView, storeView, topicEnds } from "./log-views";

export type BoardConsumerOptions = {
  kafka: Kafka;
  redis: Redis;
  keys: StoreKeys;
  topic: string;
  /** Where boards are created; read into the list of boards. */
  boardsTopic: string;
  deadLetterTopic: string;
  groupId: string;
  sessionTimeoutMs?: number;
  limits: StoreLimits;
  /** Where the newest messages are found when the store has lost its data, besides the log itself. */
  recent?: RecentSource;
  /** Which log a topic name stands for now. */
  identify(topic: string): Promise<LogIdentity>;
  /** Where a view being rebuilt says so. */
  notices?: RebuildNotices;
  log: Logger;
  metrics?: ConsumerMetrics;
};

// How often the consumer checks that the store still has its data, for an idle board; and, every so many
// of those, that the views still follow the log Kafka has.
const STORE_CHECK_MS = 1000;
const LOG_CHECK_EVERY = 5;

export type BoardConsumer = { stop(): Promise<void> };

/**
 * Moves records from Kafka into the Redis store. At least once, made exactly once by the store: offsets are
 * committed only after Redis has applied the batch (and the dead-letter topic has what could not be
 * stored), and applying a batch twice changes nothing. The store's own offsets say where to read: a store
 * that lost its data is refilled and read into again from where the refill reaches, and one that lost its
 * last writes (a Redis restarted without them) is read into again from its last stored offset. Those
 * offsets are positions in one log, which the store records: a store of another log is rebuilt from this
 * one (see `logFollower`), on start, on every assignment, when Kafka moves the consumer back, and every
 * few seconds.
 */
export async function startBoardConsumer(options: BoardConsumerOptions): Promise<BoardConsumer> {
  const { kafka, redis, keys, topic, boardsTopic, deadLetterTopic, groupId, log, metrics } = options;
  const consumer = groupConsumer(kafka, groupId, log, options.sessionTimeoutMs);
  const deadLetters = new DurableProducer(kafka);
  const admin = kafka.admin();
  const knownBoards = async () => [keys.defaultBoard, ...(await readBoards(redis, keys)).map((board) => board.slug)];
  const views = { store: storeView(redis, keys, topic, knownBoards), boards: boardListView(redis, keys, boardsTopic) };
  const follower = logFollower({
    views: [views.store, views.boards],
    identify: options.identify,
    ends: (of) => topicEnds(admin, of),
    notices: options.notices,
    log,
    metrics,
  });
  const refill = storeRefill({
    admin,
    redis,
    keys,
    limits: options.limits,
    topic,
    sources: [...(options.recent ? [options.recent] : []), recentFromLog(admin, topic)],
    currentLog: () => follower.current(views.store),
    boards: knownBoards,
    log,
  });
  const positions = trackedSeeks(consumer, { group: groupId, log, metrics });

  let assigned: number[] = [];
  let boardsAssigned: number[] = [];
  /** Every assigned partition (or those given) read from the store's next offset on; the boards topic too. */
  const readFromStore = async (partitions = assigned, boards = boardsAssigned) => {
    const next = await storedUpTo(redis, keys, topic);
    for (const partition of partitions) {
      const offset = next.get(partition);
      if (offset === undefined) positions.forget(topic, partition);
      else positions.seek(topic, partition, offset);
    }
    if (boards.length > 0) {
      const offset = await boardsReadUpTo(redis, keys);
      for (const partition of boards) positions.seek(boardsTopic, partition, offset);
    }
  };
  // Batches wait until the views have been compared with the log and each partition sent where they stand.
  let settled = Promise.resolve();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment[topic] ?? [];
    boardsAssigned = payload.memberAssignment[boardsTopic] ?? [];
    positions.forget();
    // Partitions taken away are another member's to report now: a stale lag here would sound the alert.
    metrics?.lag.reset();
    settled = follower
      .check()
      .then(() => readFromStore())
      .catch((error: unknown) =>
        log.warn("could not compare the views' log with Kafka's, or read the store's offsets; reading from the group's", errorFields(error)),
      );
  });
  const watch = watchStore({
    redis,
    keys,
    log,
    refill,
    onNewEpoch: () => readFromStore(),
    checkLog: async () => {
      if (await follower.checkQuietly()) await readFromStore();
    },
    rebuilds: follower.rebuildProgress,
  });

  const running = restartingRun(consumer, log);
  const stop = async () => {
    watch.stop();
    await running.stop();
    await deadLetters.disconnect();
    await admin.disconnect();
  };
  try {
    await admin.connect();
    await untilDone("comparing the views' log with Kafka's", () => follower.check(), { heartbeat: async () => {}, giveUp: deadline(30_000), log });
    await consumer.connect();
    await subscribeWhenKnown(consumer, [topic, boardsTopic], log);
  } catch (error) {
    // Nothing of a consumer that could not start may keep the process alive.
    await stop().catch(() => {});
    throw error;
  }
  await running.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      await settled;
      if (isStale()) return;
      const { partition } = batch;
      const retry = { heartbeat, giveUp: () => !isRunning() || isStale(), log };
      /** Resolves to whether a view was moved to the current log. */
      const compareWithLog = () => untilDone("comparing the views' log with Kafka's", () => follower.check(), retry);
      const run = { first: batch.firstOffset() ?? "0", last: batch.lastOffset() };
      if (positions.movedBack(batch.topic, partition, run.first) && (await compareWithLog())) return readFromStore();
      /** The views are behind another log than their records': compared again, and the partition read from where they stand. */
      const otherLog = async () => {
        await compareWithLog();
        await (batch.topic === boardsTopic ? readFromStore([], [partition]) : readFromStore([partition], []));
      };
      const deadLetter = async (dead: DeadLetter[]) => {
        await untilDone("dead-letter write", () => sendDeadLetters(deadLetters, deadLetterTopic, batch.topic, dead), retry);
        for (const { record, reason } of dead) {
          log.warn("dead-lettered a record that is not a message", {
            topic: batch.topic,
            partition,
            offset: record.offset,
            reason,
            requestId: requestIdOf(record),
          });
        }
        metrics?.deadLettered.inc(dead.length);
      };
      const done = async () => {
        resolveOffset(batch.lastOffset());
        // Sent elsewhere meanwhile (a refill), the partition goes on from there, not from after this batch.
        if (!isStale()) positions.read(batch.topic, partition, batch.lastOffset());
        await commitOffsetsIfNecessary();
      };

      if (batch.topic === boardsTopic) {
        const { boards, dead } = sortBoards(batch);
        const boardsRun = { ...run, log: follower.current(views.boards) };
        const registered = await untilDone("Redis write", () => registerBoards(redis, keys, boardsRun, boards), retry);
        if (registered === "records-missing") return readFromStore([], [partition]);
        if (registered === "other-log") return otherLog();
        await deadLetter(dead);
        if (registered > 0) log.info("boards created", { boards: boards.flatMap(({ board }) => (board ? [board.slug] : [])) });
        return done();
      }

      const { records, dead } = sortBatch(batch, Date.now());
      metrics?.consumed.inc(batch.messages.length);
      const storeRun = { ...run, log: follower.current(views.store) };
      const appended = await untilDone("Redis write", () => appendRecords(redis, keys, options.limits, topic, partition, storeRun, records), {
        ...retry,
        onFailure: () => metrics?.redisErrors.inc(),
      });
      if ("refused" in appended) {
        if (appended.refused === "other-log") return otherLog();
        if (appended.refused === "empty-store") {
          if ((await untilDone("store refill", refill, retry)) === "other-log") return otherLog();
        } else log.warn("the store lacks records before this batch (Redis lost its last writes?): reading them again", { partition, from: run.first });
        await readFromStore([partition], []);
        return;
      }
      await deadLetter(dead);
      metrics?.stored.inc(appended.stored);
      const storedAt = Date.now();
      for (const { offset, entry, requestId, appendedAt, consumedAt } of records) {
        log.debug("kind" in entry ? `stored a message's ${entry.kind}` : "stored message", { id: entry.id, board: entry.board, partition, offset, requestId });
        if (metrics && !("kind" in entry) && appendedAt !== undefined && consumedAt !== undefined)
          observeStages(metrics, Date.parse(entry.createdAt), appendedAt, consumedAt, storedAt);
      }
      await done();
      metrics?.lag.set({ partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1));
    },
  });
  // Leaving lets the batch in hand finish, commits what it resolved and leaves the group, so that its
  // partitions move to another member at once rather than after a session timeout.
  return { stop };
}

/**
 * Notices, on an idle board too, that the store lost its data (refilling it) or was refilled by another
 * consumer (a new epoch): either way this consumer's partitions are read again from the store's offsets.
 * Every few checks it also has the views compared with Kafka's log; at the others, a rebuild's progress noted.
 */
function watchStore(options: {
  redis: Redis;
  keys: StoreKeys;
  log: Logger;
  refill: () => Promise<unknown>;
  onNewEpoch: () => Promise<void>;
  checkLog: () => Promise<void>;
  rebuilds: () => Promise<void>;
}) {
  let seen: string | null | undefined;
  let checking = false;
  let ticks = 0;
  const check = async () => {
    await (++ticks % LOG_CHECK_EVERY === 0 ? options.checkLog() : options.rebuilds());
    let epoch = await readEpoch(options.redis, options.keys);
    const empty = epoch === null;
    if (empty) {
      await options.refill();
      epoch = await readEpoch(options.redis, options.keys);
    }
    // A store refilled here (the first check's too: a store rebuilt at start) is read from where it reaches.
    if ((seen !== undefined || empty) && epoch !== seen) await options.onNewEpoch();
    seen = epoch;
  };
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    check()
      .catch((error: unknown) => options.log.debug("store check failed", errorFields(error)))
      .finally(() => (checking = false));
  }, STORE_CHECK_MS);
  return { stop: () => clearInterval(timer) };
}

/** A record's time in each stage; one read again (after a crash, a refill) counts again, with its wait. */
function observeStages(metrics: ConsumerMetrics, acceptedAt: number, appendedAt: number, consumedAt: number, storedAt: number): void {
  const seconds = (from: number, to: number) => Math.max(0, to - from) / 1000;
  metrics.stageSeconds.observe({ stage: "append" }, seconds(acceptedAt, appendedAt));
  metrics.stageSeconds.observe({ stage: "consume" }, seconds(appendedAt, consumedAt));
  metrics.stageSeconds.observe({ stage: "store" }, seconds(consumedAt, storedAt));
}

function sortBoards(batch: Batch): { boards: BoardsTopicRecord[]; dead: DeadLetter[] } {
  const boards: BoardsTopicRecord[] = [];
  const dead: DeadLetter[] = [];
  for (const record of batch.messages) {
    const decoded = decodeBoardRecord(record.value);
    if (!decoded.ok) dead.push({ partition: batch.partition, record, reason: decoded.reason });
    else boards.push(decoded.board ? { offset: record.offset, board: decoded.board } : { offset: record.offset, rule: decoded.rule });
  }
  return { boards, dead };
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
      entry: decoded.message ?? decoded.change,
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
