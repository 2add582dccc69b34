import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { produced } from "./produced";
import { errorFields, type Logger } from "../log";
import { newBoardSchema, slugFromName, type Board, type BoardRule, type BoardRules, type BoardSort, type BoardSummary } from "../messages/boards";
import type { BoardActivityRecord } from "../messages/reactions";
import { perHour, perMinute } from "../processor/activity-windows";
import type { RateDecision } from "../store/rate-limit";
import { takeAllowance } from "./allowance";
import { BoardError, issuesByField } from "./errors";

export type BoardsDeps = {
  defaultBoard: string;
  /** The default board's name in the list; it exists without being created. */
  defaultName: string;
  store: {
    board(slug: string): Promise<Board | undefined>;
    boards(): Promise<BoardSummary[]>;
    activity(slug: string): Promise<number | null>;
    /** Each board's activity windows, as the stream processor counted them. */
    windows(): Promise<Map<string, BoardActivityRecord["windows"]>>;
    rules(slug: string): Promise<BoardRules>;
  };
  /** Produces a board's creation record, or a change to its rules; resolves once every in-sync replica has it. */
  produce(record: Board | BoardRule): Promise<void>;
  limiter: { take(client: string): Promise<RateDecision> };
  /** How long a creation waits for the store to list the new board. */
  settleMs?: number;
  log: Logger;
};

export type Boards = {
  /** Resolves if the board exists; else a 404 refusal. */
  require(slug: string): Promise<void>;
  /** Every board, the default one first among equals; or, `trending`, the busiest first. */
  list(sort?: BoardSort): Promise<BoardSummary[]>;
  /**
   * Validates a new board, takes one creation from the client's allowance (refused input takes none) and
   * produces its record, answering once the store lists it (`settled`), or once the broker has it if the
   * store is slow to (not settled: it appears shortly).
   */
  create(input: unknown, client: string, owner?: string): Promise<{ board: BoardSummary; settled: boolean }>;
  /** The account that owns a board, if one does. */
  ownerOf(slug: string): Promise<string | undefined>;
  /** A board's rules as they stand (at most a second or two old: see `forgetRules`). */
  rules(slug: string): Promise<BoardRules>;
  /** A board's rules changed: read them again next time. */
  forgetRules(slug: string): void;
  /** Produces a change to a board's rules; resolves once the broker has it. */
  changeRules(rule: BoardRule): Promise<void>;
};

// Rules are read for every post: kept for a moment, and forgotten at once when a change is announced.
const RULES_FOR_MS = 2000;
/** A board's rules until a rule is made: open to all, unlocked, no moderators, no bans. */
const OPEN_RULES: BoardRules = { locked: false, guests: true, moderators: [], bans: new Map() };

const CHECK_EVERY_MS = 25;

/** Boards as the web process sees them: created through the log, listed from the store. */
export function createBoards({ defaultBoard, defaultName, store, produce, limiter, settleMs = 5000, log }: BoardsDeps): Boards {
  // Boards are never deleted: once seen, a board need not be looked up again.
  const known = new Set([defaultBoard]);
  const lookUp = async (slug: string) => {
    if (known.has(slug)) return true;
    let found: Board | undefined;
    try {
      found = await store.board(slug);
    } catch (error) {
      log.warn("board lookup failed", errorFields(error));
      throw new BoardError("store_unavailable", "The list of boards (Redis) is unreachable; try again shortly.");
    }
    if (found) known.add(slug);
    return found !== undefined;
  };

  const rules = new Map<string, { at: number; rules: Promise<BoardRules> }>();
  const lastRead = new Map<string, BoardRules>();

  return {
    rules(slug) {
      const kept = rules.get(slug);
      if (kept && performance.now() - kept.at < RULES_FOR_MS) return kept.rules;
      // Posts need only Kafka: with Redis away, the rules last read stand (a board never read: open).
      const read = store.rules(slug).then(
        (now) => (lastRead.set(slug, now), now),
        (error: unknown) => {
          rules.delete(slug);
          log.warn("board rules lookup failed; going by the rules last read", errorFields(error));
          return lastRead.get(slug) ?? OPEN_RULES;
        },
      );
      rules.set(slug, { at: performance.now(), rules: read });
      return read;
    },

    forgetRules: (slug) => void rules.delete(slug),

    async changeRules(rule) {
      await produced(() => produce(rule), { log, what: "rule change", refusal: "Kafka did not accept the change; nothing was changed. Try again shortly." });
      rules.delete(rule.board);
    },

    async require(slug) {
      if (!(await lookUp(slug))) throw new BoardError("unknown_board", `There is no board "${slug}".`);
    },

    async list(sort = "created") {
      const [boards, latestAt, windows] = await Promise.all([store.boards(), store.activity(defaultBoard), store.windows()]);
      const now = Date.now();
      const all = [{ slug: defaultBoard, name: defaultName, latestAt }, ...boards.filter((board) => board.slug !== defaultBoard)];
      const listed = all.map((board) => ({ ...board, perMinute: perMinute(windows.get(board.slug) ?? [], now) }));
      if (sort === "created") return listed;
      const hour = new Map(all.map(({ slug }) => [slug, perHour(windows.get(slug) ?? [], now)]));
      return listed.toSorted((a, b) => b.perMinute - a.perMinute || (hour.get(b.slug) ?? 0) - (hour.get(a.slug) ?? 0) || (b.latestAt ?? 0) - (a.latestAt ?? 0));
    },

    async ownerOf(slug) {
      return slug === defaultBoard ? undefined : (await store.board(slug))?.owner;
    },

    async create(input, client, owner) {
      const parsed = newBoardSchema.safeParse(input);
      if (!parsed.success) {
        const { fields, summary } = issuesByField(parsed.error);
        throw new BoardError("invalid_board", summary, { fields });
      }
      const { name } = parsed.data;
      const slug = parsed.data.slug ?? slugFromName(name);
      if (!slug)
        throw new BoardError("invalid_board", "Give the board a slug: its name has no letter or digit to make one from.", {
          fields: { slug: "slug is needed" },
        });
      if (await lookUp(slug)) throw taken(slug);
      await takeAllowance(limiter, client, "new boards");
      const board: Board = { id: randomUUID(), slug, name, createdAt: new Date().toISOString(), ...(owner && { owner }) };
      await produced(() => produce(board), { log, what: "board", refusal: "Kafka did not accept the board; it was not created. Try again shortly." });
      // Two people may take one slug at the same moment: the first record in the log wins.
      const deadline = Date.now() + settleMs;
      while (Date.now() < deadline) {
        const stored = await store.board(slug).catch(() => undefined);
        if (stored && stored.id !== board.id) throw taken(slug);
        if (stored) {
          known.add(slug);
          log.info("board created", { slug });
          return { board: { slug, name, owner, latestAt: null }, settled: true };
        }
        await sleep(CHECK_EVERY_MS);
      }
      return { board: { slug, name, owner, latestAt: null }, settled: false };
    },
  };
}

const taken = (slug: string) =>
  new BoardError("board_exists", `There is already a board "${slug}"; choose another slug.`, { fields: { slug: "slug is taken" } });
