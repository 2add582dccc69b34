import type { Redis } from "ioredis";
import { type z } from "zod";
import {
  boardActivityRecordSchema,
  countsOf,
  givenBy,
  messageReactionsSchema,
  type BoardActivityRecord,
  type Emoji,
  type MessageReactions,
  type ReactionCounts,
  type ReactionsEvent,
} from "../messages/reactions";
import { safeJson } from "../safe-json";
import type { StoreKeys } from "./keys";

const givenSchema = messageReactionsSchema.shape.given;
const windowsSchema = boardActivityRecordSchema.shape.windows;
type Windows = z.infer<typeof windowsSchema>;

/**
 * Writes the processor's latest results, and announces each message's new counts. Writing a result again
 * changes nothing, so reading the result topics twice is harmless.
 */
export async function applyResults(
  redis: Redis,
  keys: StoreKeys,
  reactions: readonly MessageReactions[],
  activity: readonly BoardActivityRecord[],
  applied: { topic: string; partition: number; next: string },
): Promise<void> {
  const multi = redis.multi();
  multi.hset(keys.resultsApplied, `${applied.topic}:${applied.partition}`, applied.next);
  for (const { message, board, given } of reactions) {
    multi.hset(keys.reactions, message, JSON.stringify(given));
    const event: ReactionsEvent = { id: message, board, reactions: countsOf(given) };
    multi.publish(keys.reactionsChannel, JSON.stringify(event));
  }
  for (const { board, windows } of activity) multi.hset(keys.windows, board, JSON.stringify(windows));
  await multi.exec();
}

/** How far the results of `topic` have been applied: the next offset per partition; undefined while they are being lost and found. */
export async function resultsAppliedUpTo(redis: Redis, keys: StoreKeys, topic: string): Promise<Map<number, string> | undefined> {
  const [marker, applied] = await Promise.all([redis.exists(keys.results), redis.hgetall(keys.resultsApplied)]);
  if (marker === 0) return undefined;
  const prefix = `${topic}:`;
  return new Map(
    Object.entries(applied)
      .filter(([field]) => field.startsWith(prefix))
      .map(([field, next]) => [Number(field.slice(prefix.length)), next]),
  );
}

/** Everything the results consumer wrote: it notices and reads the result topics again from their start. */
export async function clearResults(redis: Redis, keys: StoreKeys): Promise<void> {
  await redis.del(keys.reactions, keys.windows, keys.resultsApplied, keys.results);
}

/** Whether the results were lost (or never read here): true once, after which they count as being read again. */
export async function resultsLost(redis: Redis, keys: StoreKeys): Promise<boolean> {
  return (await redis.set(keys.results, "1", "NX")) === "OK";
}

export type MessageReactionView = { reactions: ReactionCounts; mine: Emoji[] };

/** Each message's counts, and what `reactor` gave (none when unknown). */
export async function readReactions(redis: Redis, keys: StoreKeys, ids: readonly string[], reactor?: string): Promise<Map<string, MessageReactionView>> {
  const found = new Map<string, MessageReactionView>();
  if (ids.length === 0) return found;
  const values = await redis.hmget(keys.reactions, ...ids);
  ids.forEach((id, index) => {
    const parsed = givenSchema.safeParse(safeJson(values[index] ?? "null"));
    if (parsed.success) found.set(id, { reactions: countsOf(parsed.data), mine: givenBy(parsed.data, reactor) });
  });
  return found;
}

/** Every board's activity windows. */
export async function readWindows(redis: Redis, keys: StoreKeys): Promise<Map<string, Windows>> {
  const all = await redis.hgetall(keys.windows);
  const windows = new Map<string, Windows>();
  for (const [board, value] of Object.entries(all)) {
    const parsed = windowsSchema.safeParse(safeJson(value));
    if (parsed.success) windows.set(board, parsed.data);
  }
  return windows;
}

/** The messages with their reactions (and what `reactor` gave), for the API. */
export async function withReactions<T extends { id: string }>(redis: Redis, keys: StoreKeys, messages: readonly T[], reactor?: string): Promise<T[]> {
  const found = await readReactions(
    redis,
    keys,
    messages.map((message) => message.id),
    reactor,
  );
  return messages.map((message) => {
    const view = found.get(message.id);
    if (!view || Object.keys(view.reactions).length === 0) return message;
    return { ...message, reactions: view.reactions, ...(view.mine.length > 0 && { mine: view.mine }) };
  });
}
