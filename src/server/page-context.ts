import type { Archive } from "../lib/board/archive";
import { refusalOf } from "../lib/board/errors";
import type { BoardSummary } from "../lib/messages/boards";
import type { History } from "../lib/messages/schema";
import { reactorIn } from "../lib/http/reader-cookie";
import { webRuntime } from "./web-runtime";

/** What the pages need of the web process. */
export type PageContext = {
  /**
   * A board's stored history, with what the reader whose Cookie header this is gave, or null while Redis
   * is unreachable (the page says so and keeps trying).
   */
  history(board: string, cookieHeader?: string | null): Promise<History | null>;
  historyLimit: number;
  /** The board at `/`. */
  defaultBoard: string;
  /** Every board, or null while Redis is unreachable. */
  boards(): Promise<BoardSummary[] | null>;
  /** False only for a board that certainly does not exist. */
  boardExists(slug: string): Promise<boolean>;
  /** Lasting history, for the pages that show a message in its board. */
  archive: Archive;
};

/** The pages' view of the process's runtime, under the custom server and plain `next start` alike. */
export function pageContext(): PageContext {
  const { config, services } = webRuntime();
  return {
    history: (board, cookieHeader) => services.history.read(board, undefined, reactorIn(cookieHeader)).catch(() => null),
    historyLimit: config.MESSAGES_LIMIT,
    defaultBoard: config.BOARD_ID,
    boards: () => services.boards.list().catch(() => null),
    // With Redis away nobody can tell: the page shows the board and says that Redis is unreachable.
    boardExists: (slug) =>
      services.boards.require(slug).then(
        () => true,
        (error: unknown) => refusalOf(error)?.code !== "unknown_board",
      ),
    archive: services.archive,
  };
}
