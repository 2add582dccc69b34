import { deadLetterRecord } from "../consumer/dead-letters";
import { decodeJson, decodeRecord } from "../kafka/record";
import { ACTIVITY_SPAN_MS, ACTIVITY_WINDOW_MS, reactionSchema } from "../messages/reactions";
import { ActivityWindows } from "./activity-windows";
import type { Output, Stage } from "./exactly-once";
import { ReactionState } from "./reaction-state";

/** A state for each partition, made on first use. */
function perPartition<T>(make: () => T) {
  const states = new Map<number, T>();
  return {
    of(partition: number): T {
      const state = states.get(partition) ?? make();
      states.set(partition, state);
      return state;
    },
    clear: (partition: number) => states.delete(partition),
  };
}

/**
 * Reactions → who gave what per message, on `resultTopic` keyed by message. Taking one back needs what was
 * given, so a partition's state is its whole history: read again from the start when the partition is
 * taken. Records that are not reactions go to `deadLetterTopic`, in the same transaction.
 */
export function reactionStage(topics: { input: string; result: string; deadLetter: string }): Stage {
  const states = perPartition(() => new ReactionState());
  return {
    topic: topics.input,
    replayFrom: async (_admin, taken) => new Map(taken.map(({ partition, low }) => [partition, low])),
    clear: states.clear,
    apply(partition, record) {
      const decoded = decodeJson(record.value, reactionSchema, "a reaction");
      if (!decoded.ok) return [{ topic: topics.deadLetter, record: deadLetterRecord({ partition, record, reason: decoded.reason }, topics.input) }];
      const changed = states.of(partition).apply(decoded.value);
      return changed ? [{ topic: topics.result, record: { key: changed.message, value: JSON.stringify(changed) }, state: true }] : [];
    },
  };
}

/**
 * Messages → each board's messages per window over the last hour, on `resultTopic` keyed by board. Only
 * the last hour matters, so a partition is read again from an hour before now: windows older than that are
 * past what any reader is shown. Records that are not messages are the store's to dead-letter.
 */
export function activityStage(topics: { input: string; result: string }, now: () => number = Date.now): Stage {
  const states = perPartition(() => new ActivityWindows());
  return {
    topic: topics.input,
    async replayFrom(admin, taken) {
      const since = await admin.fetchTopicOffsetsByTimestamp(topics.input, now() - ACTIVITY_SPAN_MS - ACTIVITY_WINDOW_MS);
      return new Map(
        taken.map(({ partition, committed }) => {
          const offset = since.find((each) => each.partition === partition)?.offset;
          // No record that recent (-1): nothing before the committed offset is needed.
          const from = offset === undefined || BigInt(offset) < 0n ? BigInt(committed) : BigInt(offset);
          return [partition, (from < BigInt(committed) ? from : BigInt(committed)).toString()];
        }),
      );
    },
    clear: states.clear,
    apply(partition, record): Output[] {
      const decoded = decodeRecord(record.value);
      const appendedAt = Number(record.timestamp);
      // Posts are activity; a change to one is not.
      if (!decoded.ok || !decoded.message || !Number.isFinite(appendedAt)) return [];
      const activity = states.of(partition).add(decoded.message.board, appendedAt);
      return [{ topic: topics.result, record: { key: activity.board, value: JSON.stringify(activity) }, state: true }];
    },
  };
}
