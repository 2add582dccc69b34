import type { Archive } from "../lib/board/archive";
import { refusalOf } from "../lib/board/errors";
import type { BoardSummary } from "../lib/messages/boards";
import type { History } from "../lib/messages/schema";
import { reactorIn } from "../lib/http/reader-cookie";
import { webRuntime } from "./web-runtime";
import type { PageRole, PageViewer } from "../lib/accounts/page-viewer";

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
  /** Who the request with this Cookie header is signed in as; null for a guest, or when that cannot be told. */
  viewer(cookieHeader: string | null): Promise<PageViewer>;
  /** What the reader is on a board, and whether it is locked. */
  standing(board: string, viewer: PageViewer): Promise<{ role: PageRole; locked: boolean }>;
  /** Accounts are on: the pages offer to sign in. */
  accounts: { enabled: boolean; oidc: string | undefined };
  editWindowMs: number;
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
    viewer: async (cookieHeader) => {
      const person = await services.people.whoIs({ get: (name) => (name === "cookie" ? cookieHeader : null) }).catch(() => undefined);
      return person ? { id: person.id, name: person.name, admin: person.admin } : null;
    },
    standing: async (board, viewer) => {
      const person = viewer ?? undefined;
      const [role, rules] = await Promise.all([
        services.moderating.roleOn(board, person).catch(() => undefined),
        services.boards.rules(board).catch(() => undefined),
      ]);
      return { role: role ?? null, locked: rules?.locked ?? false };
    },
    accounts: { enabled: services.people.enabled, oidc: config.OIDC_ISSUER && config.OIDC_CLIENT_ID ? config.OIDC_NAME : undefined },
    editWindowMs: config.EDIT_WINDOW_SECONDS * 1000,
  };
}
