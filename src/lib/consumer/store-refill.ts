import type { Admin } from "kafkajs";
import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import type { StoreKeys } from "../store/keys";
import { seedStore, type ConsumedRecord, type StoreLimits } from "../store/message-store";

/**
 * The newest messages of each board known outside Redis (oldest first), per partition the offset they
 * reach, and the log those offsets are in (none: the one the consumer reads).
 */
export type Recent = { recent: ConsumedRecord[]; nextOffsets: Map<number, string>; log?: string | null; from: string };
export type RecentSource = (limit: number) => Promise<Recent>;

/**
 * The log alone: nothing to copy, and each partition read again from `limit` records before its end. That
 * holds the newest messages of the partition's busiest boards; a quiet board's older ones come back only
 * from PostgreSQL.
 */
export function recentFromLog(admin: Admin, topic: string): RecentSource {
  return async (limit) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    const nextOffsets = new Map(offsets.map(({ partition, low, high }) => [partition, String(Math.max(Number(low), Number(high) - limit))]));
    return { recent: [], nextOffsets, from: "the log" };
  };
}

/**
 * Refills the store once it has lost its data (an empty Redis, a FLUSHALL), from the first source that
 * answers with positions in the log the consumer reads. One refill at a time; a second caller waits for
 * the one under way. Resolves to "other-log" when the store follows another log than `currentLog`.
 */
export function storeRefill(options: {
  admin: Admin;
  redis: Redis;
  keys: StoreKeys;
  limits: StoreLimits;
  topic: string;
  sources: readonly RecentSource[];
  /** The log the consumer reads now. */
  currentLog: () => string;
  /** Every board the store may hold, so that each one's old list is dropped. */
  boards: () => Promise<string[]>;
  log: Logger;
}): () => Promise<"done" | "other-log"> {
  const { admin, redis, keys, limits, topic, sources, currentLog, boards, log } = options;
  let running: Promise<"done" | "other-log"> | undefined;
  const refill = async () => {
    const current = currentLog();
    for (const source of sources) {
      let found: Recent;
      try {
        found = await source(limits.history);
      } catch (error) {
        log.warn("could not read the newest messages to refill the store; trying the next source", errorFields(error));
        continue;
      }
      if (found.log !== undefined && found.log !== current) {
        log.info(`${found.from} follows another log than Kafka's now; refilling from the next source`, { theirs: found.log, current });
        continue;
      }
      // A partition the source knows nothing of is read again from its start.
      for (const { partition, low } of await admin.fetchTopicOffsets(topic)) if (!found.nextOffsets.has(partition)) found.nextOffsets.set(partition, low);
      const seeded = await seedStore(redis, keys, limits, topic, found.recent, { log: current, nextOffsets: found.nextOffsets }, await boards());
      if (seeded === "other-log") return seeded;
      if (seeded === "refilled") {
        log.warn("the store had lost its messages: refilled it", {
          messages: found.recent.length,
          from: found.from,
          readingAgainFrom: Object.fromEntries(found.nextOffsets),
        });
      }
      return "done";
    }
    throw new Error("no source could refill the store");
  };
  return () => (running ??= refill().finally(() => (running = undefined)));
}
