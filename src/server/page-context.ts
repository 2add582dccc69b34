import type { Archive } from "../lib/board/archive";
import type { BoardSummary } from "../lib/messages/boards";
import type { History } from "../lib/messages/schema";

/** What the pages need of the web process. */
export type PageContext = {
  /** A board's stored history, or null while Redis is unreachable (the page says so and keeps trying). */
  history(board: string): Promise<History | null>;
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

// Next bundles the pages apart from this process's own modules, so they cannot import what the entry
// made; they find it here, under a key that both copies of this module agree on.
const KEY = Symbol.for("message-board.page-context");
const holder = globalThis as typeof globalThis & { [KEY]?: PageContext };

export function providePageContext(context: PageContext): void {
  holder[KEY] = context;
}

export function pageContext(): PageContext {
  const context = holder[KEY];
  if (!context) throw new Error("The pages run only in the web process: start it with `npm run dev` or `npm start`.");
  return context;
}
