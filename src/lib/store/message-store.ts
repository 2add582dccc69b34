import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { foldEntries, storedEntrySchema, type BoardEntries, type History, type Message, type MessageChange, type StoredEntry } from "../messages/schema";
import { APPEND_SCRIPT, SEED_SCRIPT } from "./append-script";
import type { StoreKeys } from "./keys";
import { LuaScript } from "./lua-script";
import { safeJson } from "../safe-json";

const append = new LuaScript(APPEND_SCRIPT);
const seed = new LuaScript(SEED_SCRIPT);

/** A validated record, ready to store: where Kafka kept it, what it says (a message or a change), and when it got this far. */
export type ConsumedRecord = { partition: number; offset: string; entry: Message | MessageChange; appendedAt?: number; consumedAt?: number };

/** How many messages the list keeps, and how many recent ids are remembered to refuse a second copy. */
export type StoreLimits = { history: number; dedupeWindow: number };

/**
 * Stored (how many were new), or refused: the store must be refilled first, records before the run are
 * missing, or the store follows another log than the records'.
 */
export type Appended = { stored: number } | { refused: "empty-store" | "records-missing" | "other-log" };

const REFUSALS = { [-1]: "empty-store", [-2]: "records-missing", [-3]: "other-log" } as const;

export function newEpoch(): string {
  return randomBytes(6).toString("hex");
}

const partitionField = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Stores records of one partition, in offset order, and publishes each; see APPEND_SCRIPT for why this is
 * safe to repeat. `run` is the first and last offset of the consumer's run, records that are not messages
 * included, and `log` the log they were read from. Resolves only once Redis has applied the whole run.
 */
export async function appendRecords(
  redis: Redis,
  keys: StoreKeys,
  limits: StoreLimits,
  topic: string,
  partition: number,
  run: { first: string; last: string; log: string },
  records: readonly ConsumedRecord[],
): Promise<Appended> {
  const boards = numberBoards(records);
  const field = partitionField(topic, partition);
  const args: (string | number)[] = [limits.history, keys.channel, field, run.first, run.last, limits.dedupeWindow, run.log, ...boards.slugs];
  for (const record of records) {
    if (record.partition !== partition) throw new Error("appendRecords takes records of one partition");
    args.push(record.offset, record.entry.id, boards.number(record), entryJson(record));
  }
  const result = Number(await append.run(redis, [...sharedKeys(keys), ...boards.keys(keys)], args));
  return result === -1 || result === -2 || result === -3 ? { refused: REFUSALS[result] } : { stored: result };
}

const sharedKeys = (keys: StoreKeys) => [keys.applied, keys.epoch, keys.ids, keys.activity, keys.log];

/** The boards of `records` (and `also`), numbered from 1 as the scripts take them. */
function numberBoards(records: readonly ConsumedRecord[], also: readonly string[] = []) {
  const numbers = new Map<string, number>();
  for (const slug of [...also, ...records.map((record) => record.entry.board)]) if (!numbers.has(slug)) numbers.set(slug, numbers.size + 1);
  const slugs = [...numbers.keys()];
  return {
    slugs: [slugs.length, ...slugs],
    number: (record: ConsumedRecord) => numbers.get(record.entry.board)!,
    keys: (keys: StoreKeys) => slugs.flatMap((slug) => Object.values(keys.board(slug))),
  };
}

function entryJson({ entry, partition, offset, appendedAt, consumedAt }: ConsumedRecord): string {
  return JSON.stringify({ ...entry, partition, offset, appendedAt, consumedAt });
}

/**
 * Refills an empty store with `recent` (oldest first, at most the cap per board) and, per partition, the
 * next offset to store in `log`; see SEED_SCRIPT. `boards` are dropped and refilled even when `recent` has
 * none of theirs. Resolves to "refilled", or "not-empty", or "other-log" when the store follows another.
 */
export async function seedStore(
  redis: Redis,
  keys: StoreKeys,
  limits: StoreLimits,
  topic: string,
  recent: readonly ConsumedRecord[],
  from: { log: string; nextOffsets: ReadonlyMap<number, string> },
  boards: readonly string[] = [],
): Promise<"refilled" | "not-empty" | "other-log"> {
  const { log, nextOffsets } = from;
  const kept = newestPerBoard(recent, limits.history);
  const numbered = numberBoards(kept, boards);
  const args: (string | number)[] = [newEpoch(), limits.history, keys.channel, log, nextOffsets.size];
  for (const [partition, next] of nextOffsets) args.push(partitionField(topic, partition), (BigInt(next) - 1n).toString());
  args.push(...numbered.slugs);
  for (const record of kept) args.push(record.entry.id, numbered.number(record), entryJson(record));
  const result = Number(await seed.run(redis, [...sharedKeys(keys), ...numbered.keys(keys)], args));
  return result === 1 ? "refilled" : result === -3 ? "other-log" : "not-empty";
}

function newestPerBoard(oldestFirst: readonly ConsumedRecord[], limit: number): ConsumedRecord[] {
  const left = new Map<string, number>();
  const kept: ConsumedRecord[] = [];
  for (const record of oldestFirst.toReversed()) {
    const count = left.get(record.entry.board) ?? 0;
    if (count >= limit) continue;
    left.set(record.entry.board, count + 1);
    kept.push(record);
  }
  return kept.reverse();
}

/** The next offset to store for each partition of `topic`, as the store knows it. */
export async function storedUpTo(redis: Redis, keys: StoreKeys, topic: string): Promise<Map<number, string>> {
  const applied = await redis.hgetall(keys.applied);
  const next = new Map<number, string>();
  for (const [field, offset] of Object.entries(applied)) {
    const partition = field.startsWith(`${topic}:`) ? Number(field.slice(topic.length + 1)) : NaN;
    if (Number.isInteger(partition)) next.set(partition, (BigInt(offset) + 1n).toString());
  }
  return next;
}

/** The store's epoch; null once it has lost its data. */
export async function readEpoch(redis: Redis, keys: StoreKeys): Promise<string | null> {
  return redis.get(keys.epoch);
}

/** Entries that do not parse are left out: one bad entry must not take the board down for its viewers. */
export function parseEntries(entries: readonly string[]): StoredEntry[] {
  const parsed: StoredEntry[] = [];
  for (const entry of entries) {
    const one = storedEntrySchema.safeParse(safeJson(entry));
    if (one.success) parsed.push(one.data);
  }
  return parsed;
}

/** The board's messages among its newest `limit` entries, newest first, as readers see them (changes applied), with their epoch. */
export async function readHistory(redis: Redis, keys: StoreKeys, board: string, limit: number): Promise<History> {
  const { epoch, entries } = await readEntries(redis, keys, board, limit);
  return { epoch, messages: foldEntries(entries) };
}

/** The board's newest `limit` entries, changes included, newest first, with the epoch they belong to. */
export async function readEntries(redis: Redis, keys: StoreKeys, board: string, limit: number): Promise<BoardEntries> {
  // One transaction, so that the epoch and the list come from the same moment.
  const replies = await redis
    .multi()
    .get(keys.epoch)
    .lrange(keys.board(board).list, 0, limit - 1)
    .exec();
  const epoch = replyValue(replies?.[0]);
  const entries = replyValue(replies?.[1]);
  return {
    epoch: typeof epoch === "string" ? epoch : null,
    entries: parseEntries(Array.isArray(entries) ? entries.filter((entry) => typeof entry === "string") : []),
  };
}

function replyValue(reply: [Error | null, unknown] | undefined): unknown {
  if (!reply) throw new Error("Redis aborted the transaction");
  if (reply[0]) throw reply[0];
  return reply[1];
}

/** The store's epoch and the position of a board's newest message; null while it has none. */
export type Head = { epoch: string; seq: number };

export async function readHead(redis: Redis, keys: StoreKeys, board: string): Promise<Head | null> {
  const [epoch, seq] = await redis.mget(keys.epoch, keys.board(board).seq);
  return epoch && seq ? { epoch, seq: Number(seq) } : null;
}
