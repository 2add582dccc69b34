import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { storedMessageSchema, type History, type Message, type StoredMessage } from "../messages/schema";
import { APPEND_SCRIPT } from "./append-script";
import type { StoreKeys } from "./keys";
import { LuaScript } from "./lua-script";

const append = new LuaScript(APPEND_SCRIPT);

/** A validated record, ready to store: where Kafka kept it, what it says, and when it got this far. */
export type ConsumedRecord = { partition: number; offset: string; message: Message; appendedAt?: number; consumedAt?: number };

/** How many messages the list keeps, and how many recent ids are remembered to refuse a second copy. */
export type StoreLimits = { history: number; dedupeWindow: number };

export function newEpoch(): string {
  return randomBytes(6).toString("hex");
}

/**
 * Stores records of one partition, in offset order, and publishes each; see APPEND_SCRIPT for why this is
 * safe to repeat. Resolves only once Redis has applied the whole run.
 */
export async function appendRecords(redis: Redis, keys: StoreKeys, limits: StoreLimits, topic: string, records: readonly ConsumedRecord[]): Promise<number> {
  const first = records[0];
  if (!first) return 0;
  const args: (string | number)[] = [limits.history, keys.channel, `${topic}:${first.partition}`, newEpoch(), limits.dedupeWindow];
  for (const { partition, offset, message, appendedAt, consumedAt } of records) {
    if (partition !== first.partition) throw new Error("appendRecords takes records of one partition");
    args.push(offset, message.id, JSON.stringify({ ...message, partition, offset, appendedAt, consumedAt }));
  }
  return Number(await append.run(redis, [keys.list, keys.seq, keys.applied, keys.epoch, keys.ids], args));
}

/** Entries that do not parse are left out: one bad entry must not take the board down for its viewers. */
export function parseEntries(entries: readonly string[]): StoredMessage[] {
  const messages: StoredMessage[] = [];
  for (const entry of entries) {
    const parsed = storedMessageSchema.safeParse(safeJson(entry));
    if (parsed.success) messages.push(parsed.data);
  }
  return messages;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The newest `limit` stored messages, newest first, with the epoch they belong to. */
export async function readHistory(redis: Redis, keys: StoreKeys, limit: number): Promise<History> {
  // One transaction, so that the epoch and the list come from the same moment.
  const replies = await redis
    .multi()
    .get(keys.epoch)
    .lrange(keys.list, 0, limit - 1)
    .exec();
  const epoch = replyValue(replies?.[0]);
  const entries = replyValue(replies?.[1]);
  return {
    epoch: typeof epoch === "string" ? epoch : null,
    messages: parseEntries(Array.isArray(entries) ? entries.filter((entry) => typeof entry === "string") : []),
  };
}

function replyValue(reply: [Error | null, unknown] | undefined): unknown {
  if (!reply) throw new Error("Redis aborted the transaction");
  if (reply[0]) throw reply[0];
  return reply[1];
}

/** The store's epoch and the position of its newest message; null while it has none. */
export type Head = { epoch: string; seq: number };

export async function readHead(redis: Redis, keys: StoreKeys): Promise<Head | null> {
  const [epoch, seq] = await redis.mget(keys.epoch, keys.seq);
  return epoch && seq ? { epoch, seq: Number(seq) } : null;
}
