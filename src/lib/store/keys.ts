import type { Config } from "../config";

/** One board's list, newest first, and the counter of its positions. */
export type BoardKeys = { list: string; seq: string };

/**
 * The Redis names of the store. Each board has its own list and positions; what says where the store has
 * read to (applied offsets, epoch, recent ids) is shared, since one partition carries many boards.
 */
export type StoreKeys = {
  channel: string;
  applied: string;
  epoch: string;
  ids: string;
  /** Which log the applied offsets are positions in (see FOLLOW_SCRIPT); the boards' the same for their topic. */
  log: string;
  boardsLog: string;
  /** view → why it is being rebuilt, for as long as it is (JSON, with when the sentence expires). */
  rebuilding: string;
  /** Prefix of the posts' rate-limit buckets, one per client address. */
  rate: string;
  /** slug → the board's creation record; what the boards topic has been read to; where new boards are announced. */
  boards: string;
  boardsApplied: string;
  boardsChannel: string;
  /** slug → when its newest message was stored (ms). */
  activity: string;
  /** Prefix of the board-creation rate-limit buckets. */
  boardRate: string;
  /** The board at `/`, which exists without being created. */
  defaultBoard: string;
  board(slug: string): BoardKeys;
  /** Who reads what now: web process → when its counts lapse (sorted set); where changes are announced. */
  readers: string;
  readersChannel: string;
  /** process → how many of its streams follow the board. */
  boardReaders(slug: string): string;
  /** message id → who gave what (JSON); where changed counts are announced. */
  reactions: string;
  reactionsChannel: string;
  /** slug → the board's activity windows over the last hour (JSON). */
  windows: string;
  /** Set once the processor's results are being read into this Redis: gone, they are read again from the start. */
  results: string;
  /** "<topic>:<partition>" → the next offset of the result topics to apply, written with what it applied. */
  resultsApplied: string;
  /** Prefix of the reactions' rate-limit buckets. */
  reactionRate: string;
  /** A board's rules: locked, guests, `mod:<account>`, `ban:<subject>` (see REGISTER_SCRIPT). */
  boardRules(slug: string): string;
  /** Prefix of what each post's sender address is known as (a digest), for bans, for a while. */
  senders: string;
  /** Prefixes of the per-account buckets (posts, changes) and of sign-in attempts' (per address and per account). */
  accountRate: string;
  moderationRate: string;
  signInRate: string;
};

export function storeKeys(config: Pick<Config, "REDIS_MESSAGES_KEY" | "REDIS_CHANNEL" | "BOARD_ID">): StoreKeys {
  const root = config.REDIS_MESSAGES_KEY;
  return {
    channel: config.REDIS_CHANNEL,
    applied: `${root}:applied`,
    epoch: `${root}:epoch`,
    ids: `${root}:ids`,
    log: `${root}:log`,
    boardsLog: `${root}:boards:log`,
    rebuilding: `${root}:rebuilding`,
    rate: `${root}:rate`,
    boards: `${root}:boards`,
    boardsApplied: `${root}:boards:applied`,
    boardsChannel: `${config.REDIS_CHANNEL}:boards`,
    activity: `${root}:boards:activity`,
    boardRate: `${root}:boards:rate`,
    defaultBoard: config.BOARD_ID,
    // The default board keeps the first design's names; a slug has no colon, so no board's keys meet another's.
    board: (slug) => {
      const list = slug === config.BOARD_ID ? root : `${root}:board:${slug}`;
      return { list, seq: `${list}:seq` };
    },
    readers: `${root}:readers`,
    readersChannel: `${config.REDIS_CHANNEL}:readers`,
    boardReaders: (slug) => `${root}:readers:${slug}`,
    reactions: `${root}:reactions`,
    reactionsChannel: `${config.REDIS_CHANNEL}:reactions`,
    windows: `${root}:boards:windows`,
    results: `${root}:results`,
    resultsApplied: `${root}:results:applied`,
    reactionRate: `${root}:reactions:rate`,
    boardRules: (slug) => `${root}:rules:${slug}`,
    senders: `${root}:senders`,
    accountRate: `${root}:accounts:rate`,
    moderationRate: `${root}:moderation:rate`,
    signInRate: `${root}:sign-in:rate`,
  };
}
