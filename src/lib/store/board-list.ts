import type { Redis } from "ioredis";
import { boardSchema, type Board, type BoardSummary } from "../messages/boards";
import { REGISTER_SCRIPT } from "./append-script";
import type { StoreKeys } from "./keys";
import { LuaScript } from "./lua-script";
import { safeJson } from "../safe-json";

const register = new LuaScript(REGISTER_SCRIPT);

/**
 * Adds the boards of a run of the boards topic (in offset order) read from `run.log`; see REGISTER_SCRIPT.
 * Resolves to how many were new, or to "records-missing" when the run starts past where the list of boards
 * stops, or "other-log" when the list follows another log.
 */
export async function registerBoards(
  redis: Redis,
  keys: StoreKeys,
  run: { first: string; last: string; log: string },
  boards: readonly { offset: string; board: Board }[],
): Promise<number | "records-missing" | "other-log"> {
  const args = [keys.boardsChannel, run.first, run.last, run.log, ...boards.flatMap(({ offset, board }) => [offset, board.slug, JSON.stringify(board)])];
  const result = Number(await register.run(redis, [keys.boards, keys.boardsApplied, keys.boardsLog], args));
  return result === -2 ? "records-missing" : result === -3 ? "other-log" : result;
}

/** The next offset of the boards topic to read: 0 once the list of boards is lost. */
export async function boardsReadUpTo(redis: Redis, keys: StoreKeys): Promise<string> {
  const applied = await redis.get(keys.boardsApplied);
  return applied === null ? "0" : (BigInt(applied) + 1n).toString();
}

/** One board, if it has been created. */
export async function readBoard(redis: Redis, keys: StoreKeys, slug: string): Promise<Board | undefined> {
  const entry = await redis.hget(keys.boards, slug);
  return entry === null ? undefined : parseBoard(entry);
}

/**
 * Every created board, oldest first, with when its newest message was stored; entries that do not parse
 * are left out.
 */
export async function readBoards(redis: Redis, keys: StoreKeys): Promise<BoardSummary[]> {
  const [boards, activity] = await Promise.all([redis.hgetall(keys.boards), redis.hgetall(keys.activity)]);
  const created = Object.values(boards)
    .map(parseBoard)
    .filter((board) => board !== undefined)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.slug.localeCompare(b.slug));
  return created.map(({ slug, name, owner }) => ({ slug, name, ...(owner && { owner }), latestAt: latestOf(activity[slug]) }));
}

/** When the board's newest message was stored, as the store knows it. */
export async function readActivity(redis: Redis, keys: StoreKeys, slug: string): Promise<number | null> {
  return latestOf(await redis.hget(keys.activity, slug));
}

const latestOf = (value: string | null | undefined) => (value ? Number(value) : null);

function parseBoard(entry: string): Board | undefined {
  const parsed = boardSchema.safeParse(safeJson(entry));
  return parsed.success ? parsed.data : undefined;
}
