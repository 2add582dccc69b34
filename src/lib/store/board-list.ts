import type { Redis } from "ioredis";
import { boardSchema, type Board, type BoardRule, type BoardRules, type BoardSummary } from "../messages/boards";
import { REGISTER_SCRIPT } from "./append-script";
import type { StoreKeys } from "./keys";
import { LuaScript } from "./lua-script";
import { safeJson } from "../safe-json";

const register = new LuaScript(REGISTER_SCRIPT);

/** A record of the boards topic: a board's creation, or a change to its rules. */
export type BoardsTopicRecord = { offset: string } & ({ board: Board; rule?: never } | { rule: BoardRule; board?: never });

/**
 * Applies a run of the boards topic (in offset order) read from `run.log`: new boards, and changes to
 * boards' rules; see REGISTER_SCRIPT. Resolves to how many boards were new, or to "records-missing" when the
 * run starts past where the list of boards stops, or "other-log" when the list follows another log.
 */
export async function registerBoards(
  redis: Redis,
  keys: StoreKeys,
  run: { first: string; last: string; log: string },
  records: readonly BoardsTopicRecord[],
): Promise<number | "records-missing" | "other-log"> {
  const ruleKeys: string[] = [];
  const args = [keys.boardsChannel, run.first, run.last, run.log];
  for (const { offset, board, rule } of records) {
    if (board) {
      args.push(offset, board.slug, JSON.stringify(board), "", "", "");
      continue;
    }
    const key = keys.boardRules(rule.board);
    if (!ruleKeys.includes(key)) ruleKeys.push(key);
    const [field, value] = ruleField(rule);
    args.push(offset, rule.board, JSON.stringify(rule), field, String(4 + ruleKeys.indexOf(key)), value);
  }
  const result = Number(await register.run(redis, [keys.boards, keys.boardsApplied, keys.boardsLog, ...ruleKeys], args));
  return result === -2 ? "records-missing" : result === -3 ? "other-log" : result;
}

/** The one field of a board's rules a rule sets, and its value ('' removes it: the default). */
function ruleField(rule: BoardRule): [string, string] {
  switch (rule.kind) {
    case "moderator":
      return [`mod:${rule.account}`, rule.on ? "1" : ""];
    case "lock":
      return ["locked", rule.locked ? "1" : ""];
    case "guests":
      return ["guests", rule.allowed ? "" : "0"];
    case "ban":
      return [`ban:${rule.subject}`, rule.until === null ? "forever" : String(Date.parse(rule.until))];
    case "unban":
      return [`ban:${rule.subject}`, ""];
  }
}

/** A board's rules as they stand: unlocked, open to guests, no moderators and no bans, until changed. */
export async function readRules(redis: Redis, keys: StoreKeys, slug: string): Promise<BoardRules> {
  const fields = await redis.hgetall(keys.boardRules(slug));
  const moderators: string[] = [];
  const bans = new Map<string, number | null>();
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith("mod:")) moderators.push(field.slice(4));
    else if (field.startsWith("ban:")) bans.set(field.slice(4), value === "forever" ? null : Number(value));
  }
  return { locked: fields.locked === "1", guests: fields.guests !== "0", moderators, bans };
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
