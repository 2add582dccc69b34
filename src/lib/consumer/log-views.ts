import type { Admin } from "kafkajs";
import type { Redis } from "ioredis";
import type { Database } from "../history/database";
import { followHistoryLog, historyLog, historyOffsets } from "../history/message-history";
import { boardsReadUpTo, readBoards } from "../store/board-list";
import { followLog, storeDataKeys } from "../store/followed-log";
import type { StoreKeys } from "../store/keys";
import { storedUpTo } from "../store/message-store";
import type { LogView } from "./followed-log";

// The board's three views of the log, each able to say which log it follows and to start again on another.

const bigOffsets = (offsets: ReadonlyMap<number, string>) => new Map([...offsets].map(([partition, offset]) => [partition, BigInt(offset)]));

/** The Redis store of each board's newest messages; `boards` names every board whose list it may hold. */
export function storeView(redis: Redis, keys: StoreKeys, topic: string, boards: () => Promise<string[]>): LogView {
  return {
    id: "store",
    name: "the Redis store",
    topic,
    followed: () => redis.get(keys.log),
    positions: async () => bigOffsets(await storedUpTo(redis, keys, topic)),
    // Cleared, the store is refilled by its consumers as after a FLUSHALL, from the log it follows now.
    follow: async (from, to, clear) => followLog(redis, keys.log, clear ? storeDataKeys(keys, await boards()) : [], from, to),
  };
}

/** The list of boards in Redis, read from the boards topic's single partition. */
export function boardListView(redis: Redis, keys: StoreKeys, topic: string): LogView {
  return {
    id: "boards",
    name: "the list of boards",
    topic,
    followed: () => redis.get(keys.boardsLog),
    positions: async () => new Map([[0, BigInt(await boardsReadUpTo(redis, keys))]]),
    follow: async (from, to, clear) => {
      // Boards' rules come from the same topic: they go with the list, and are read again with it.
      const rules = clear ? [keys.defaultBoard, ...(await readBoards(redis, keys)).map((board) => board.slug)].map(keys.boardRules) : [];
      return followLog(redis, keys.boardsLog, clear ? [keys.boards, keys.boardsApplied, ...rules] : [], from, to);
    },
  };
}

/** Every message in PostgreSQL. */
export function historyView(database: Database, topic: string): LogView {
  return {
    id: "history",
    name: "history in PostgreSQL",
    topic,
    followed: () => historyLog(database, topic),
    positions: async () => bigOffsets(await historyOffsets(database, topic)),
    // Cleared, history is written again from the start of the log, as by `npm run rebuild -- postgres`.
    follow: (from, to, clear) => followHistoryLog(database, topic, from, to, clear),
  };
}

/** The end of each partition of `topic` now. */
export async function topicEnds(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]));
}
