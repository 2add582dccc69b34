import type { Consumer } from "kafkajs";
import { errorFields, type Logger } from "../log";
import { logKey, type LogIdentity } from "../kafka/log-identity";
import type { ConsumerMetrics } from "./metrics";

/**
 * A view of one topic (the Redis store, the list of boards, history in PostgreSQL) that records which log its
 * positions are in. Offsets mean nothing outside their log: a view that kept another log's would take the
 * new log's records for ones it already has, and hide them.
 */
export type LogView = {
  /** For metrics and the ready check. */
  id: "store" | "boards" | "history";
  /** For people: "the Redis store". */
  name: string;
  topic: string;
  /** The log the view follows (a `logKey`), as it recorded it; null when it records none. */
  followed(): Promise<string | null>;
  /** The next offset the view needs, per partition. */
  positions(): Promise<Map<number, bigint>>;
  /**
   * Records `to` as the log followed, dropping what the view holds first if `clear`, in one step and only if
   * it still follows `from`; resolves to whether it did.
   */
  follow(from: string | null, to: string, clear: boolean): Promise<boolean>;
};

/** Where a view being rebuilt says so, for `/api/ready`. */
export type RebuildNotices = {
  set(view: LogView["id"], sentence: string, forMs: number): Promise<void>;
  clear(view: LogView["id"]): Promise<void>;
};

export type LogFollowerOptions = {
  views: readonly LogView[];
  /** Which log a topic name stands for now. */
  identify(topic: string): Promise<LogIdentity>;
  /** The end of each partition of a topic now. */
  ends(topic: string): Promise<Map<number, bigint>>;
  notices?: RebuildNotices;
  log: Logger;
  metrics?: ConsumerMetrics;
};

// How long a rebuild's notice lasts unless renewed: a consumer that dies mid-rebuild stops saying so.
const NOTICE_MS = 15_000;

type Rebuild = { view: LogView; ends: Map<number, bigint>; since: number; sentence: string };

/**
 * Keeps views on the log their topic stands for now. `check` asks Kafka which log that is and compares it
 * with the one each view records. The same: nothing happens. None recorded (a new view, or one made before
 * views recorded it): the log is recorded. Another, or positions past the log's end (which no view of this
 * log can hold, unless the log lost records): the view is cleared, says so once, and is read again from
 * the current log by its consumer, which `check`'s answer tells.
 */
export function logFollower({ views, identify, ends, notices, log, metrics }: LogFollowerOptions) {
  const current = new Map<LogView["id"], string>();
  const rebuilding = new Map<LogView["id"], Rebuild>();
  let checking: Promise<boolean> = Promise.resolve(false);

  const checkView = async (view: LogView): Promise<boolean> => {
    const now = logKey(await identify(view.topic));
    const recorded = await view.followed();
    current.set(view.id, now);
    // Positions first: a view of this log cannot hold one past an end read after it, as ends only grow.
    const positions = await view.positions();
    const topicEnds = await ends(view.topic);
    const beyond = [...positions].find(([partition, next]) => next > (topicEnds.get(partition) ?? 0n));
    const fields = { view: view.name, topic: view.topic, followed: recorded, now };
    if (!beyond && recorded === now) return false;
    if (!beyond && recorded === null) {
      if (await view.follow(null, now, false)) log.info(`${view.name} records the log it follows`, fields);
      return false;
    }
    if (recorded !== null && recorded !== now) {
      log.warn(
        `${view.name} was read from another log of ${view.topic} (${recorded}) than Kafka has now (${now}): the topic was made ` +
          `again, or Kafka's data is another cluster's. Rebuilding it from the current log; what only the other log held leaves it.`,
        fields,
      );
    } else if (beyond) {
      const [partition, next] = beyond;
      log.warn(
        `${view.name} was read from another log: it needs offset ${next} of ${view.topic} partition ${partition}, where the log ` +
          `ends at ${topicEnds.get(partition) ?? 0n} (or this log lost records: a copy restored from before them). Rebuilding it from the current log.`,
        fields,
      );
    }
    if (!(await view.follow(recorded, now, true))) {
      log.info(`${view.name} was moved to the current log by another consumer`, fields);
      return true;
    }
    metrics?.viewsRebuilt.inc({ view: view.id });
    const sentence = `${view.name} is being rebuilt from a new log of ${view.topic}: until it is, it shows less than Kafka holds.`;
    rebuilding.set(view.id, { view, ends: topicEnds, since: Date.now(), sentence });
    await notices?.set(view.id, sentence, NOTICE_MS);
    return true;
  };

  /** Renews the notice of each view being rebuilt, and ends it once the view reaches the end its log had. */
  const rebuildProgress = async () => {
    for (const [id, rebuild] of rebuilding) {
      const positions = await rebuild.view.positions();
      const behind = [...rebuild.ends].some(([partition, end]) => (positions.get(partition) ?? 0n) < end);
      if (behind) {
        await notices?.set(id, rebuild.sentence, NOTICE_MS);
        continue;
      }
      rebuilding.delete(id);
      await notices?.clear(id);
      log.info(`${rebuild.view.name} is rebuilt from the current log`, { view: rebuild.view.name, seconds: (Date.now() - rebuild.since) / 1000 });
    }
  };

  /** Compares every view's log with Kafka's; true if a view was cleared to follow a new one. One at a time. */
  const check = (): Promise<boolean> => {
    checking = checking
      .catch(() => false)
      .then(async () => {
        let changed = false;
        for (const view of views) changed = (await checkView(view)) || changed;
        return changed;
      });
    return checking;
  };

  /** `check`, then `rebuildProgress`, for a timer: a failure (Kafka away) is only noted and tried again next time. */
  const checkQuietly = async (): Promise<boolean> => {
    try {
      const changed = await check();
      await rebuildProgress();
      return changed;
    } catch (error) {
      log.debug("could not compare the views' log with Kafka's", errorFields(error));
      return false;
    }
  };

  return {
    check,
    checkQuietly,
    /** For a timer: renews the notices of views being rebuilt, or ends them; a failure is tried next time. */
    rebuildProgress: () => rebuildProgress().catch((error: unknown) => log.debug("could not read a rebuild's progress", errorFields(error))),
    /** The log `view`'s records come from, as last checked. */
    current(view: LogView): string {
      const key = current.get(view.id);
      if (key === undefined) throw new Error(`${view.name}: the log is not known before the first check`);
      return key;
    },
  };
}

/**
 * Where each partition's next batch should begin, as far as this consumer read or sent it (a seek). A batch
 * that begins before that came from Kafka moving the consumer back by itself: kafkajs answers "offset out
 * of range" by going to the start of the log, which happens when the log is shorter than the position
 * asked for (a new log, or one that lost records). kafkajs drops batches fetched before a seek, and those
 * after it begin at the offset sought.
 */
export function positionTracker() {
  const next = new Map<string, bigint>();
  const key = (topic: string, partition: number) => `${topic}:${partition}`;
  return {
    /** Forgets every position (after a rebalance), or one (where the consumer leaves it to the group's). */
    forget(topic?: string, partition?: number) {
      if (topic === undefined || partition === undefined) next.clear();
      else next.delete(key(topic, partition));
    },
    sought(topic: string, partition: number, offset: string) {
      next.set(key(topic, partition), BigInt(offset));
    },
    read(topic: string, partition: number, lastOffset: string) {
      next.set(key(topic, partition), BigInt(lastOffset) + 1n);
    },
    /** The position asked for, if the batch begins before it. */
    movedBack(topic: string, partition: number, firstOffset: string): bigint | undefined {
      const asked = next.get(key(topic, partition));
      return asked !== undefined && BigInt(firstOffset) < asked ? asked : undefined;
    },
  };
}

/**
 * A consumer's seeks, remembered (see `positionTracker`): `seek` sends a partition to an offset, `read`
 * records how far a batch went, and `movedBack` tells, once and out loud, that a batch begins before
 * either: Kafka moved the consumer back, and the caller compares its views with the log.
 */
export function trackedSeeks(consumer: Pick<Consumer, "seek">, report: { group: string; log: Logger; metrics: ConsumerMetrics | undefined }) {
  const positions = positionTracker();
  return {
    forget: positions.forget,
    read: positions.read,
    seek(topic: string, partition: number, offset: string) {
      positions.sought(topic, partition, offset);
      consumer.seek({ topic, partition, offset });
    },
    movedBack(topic: string, partition: number, from: string): boolean {
      const asked = positions.movedBack(topic, partition, from);
      if (asked === undefined) return false;
      report.metrics?.offsetsOutOfRange.inc({ group: report.group });
      report.log.warn(
        `Kafka has no record at offset ${asked} of ${topic} partition ${partition} (offset out of range): the log is shorter than ` +
          `where this consumer was. Reading on from offset ${from}, and checking which log the views follow.`,
        { group: report.group, topic, partition, asked: String(asked), from },
      );
      positions.forget(topic, partition);
      return true;
    },
  };
}
