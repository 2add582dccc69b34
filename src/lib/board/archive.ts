import type { Database } from "../history/database";
import { findMessage, newerMessages, olderMessages, searchMessages } from "../history/history-reader";
import { reactionsOf } from "../history/reaction-history";
import { errorFields, type Logger } from "../log";
import type { ArchivedMessage, OlderPage, SearchResults } from "../messages/schema";
import { highlight, parseSearch } from "../messages/search-terms";
import { BoardError } from "./errors";

export type Archive = {
  /** The board's messages older than `before` (one of its messages), newest first. */
  older(board: string, before: string | undefined, limit: number): Promise<OlderPage>;
  search(query: { text: string; board?: string; author?: string; limit: number }): Promise<SearchResults>;
  find(id: string): Promise<ArchivedMessage>;
  /** A message with up to `count` of its board's messages on each side, oldest first. */
  around(id: string, count: number): Promise<{ message: ArchivedMessage; before: ArchivedMessage[]; after: ArchivedMessage[] }>;
};

/**
 * Lasting history as the board offers it: scrollback past the store's cap, search, and single messages.
 * Without a database (DATABASE_URL unset), or while it is unreachable, each says so with a 503.
 */
export function boardArchive(database: Database | undefined, boards: { require(slug: string): Promise<void> }, log: Logger): Archive {
  const withDatabase = async <T>(work: (db: Database) => Promise<T>): Promise<T> => {
    if (!database) throw new BoardError("history_unavailable", "This board keeps no lasting history (DATABASE_URL is not set).");
    try {
      return await work(database);
    } catch (error) {
      if (error instanceof BoardError) throw error;
      log.warn("history read failed", errorFields(error));
      throw new BoardError("history_unavailable", "The board's history (PostgreSQL) is unreachable; try again shortly.", { retryAfterSeconds: 2 });
    }
  };
  const find = (db: Database, id: string) =>
    findMessage(db, id).then((found) => {
      if (!found) throw new BoardError("unknown_message", "There is no message with this id.");
      return found;
    });
  /** The messages with their reactions, as history has them from the processor's result topic. */
  const withReactions = async (db: Database, messages: ArchivedMessage[]) => {
    const counts = await reactionsOf(
      db,
      messages.map((message) => message.id),
    );
    return messages.map((message) => {
      const reactions = counts.get(message.id);
      return reactions ? { ...message, reactions } : message;
    });
  };

  return {
    older: (board, before, limit) =>
      withDatabase(async (db) => {
        await boards.require(board);
        const from = before === undefined ? undefined : await find(db, before);
        if (from && from.board !== board) throw new BoardError("unknown_message", `The message is not on the board "${board}".`);
        // One more than asked says whether another page follows.
        const messages = await olderMessages(db, board, from, limit + 1);
        return { messages: await withReactions(db, messages.slice(0, limit)), more: messages.length > limit };
      }),
    search: ({ text, board, author, limit }) =>
      withDatabase(async (db) => {
        if (board !== undefined) await boards.require(board);
        const terms = parseSearch(text);
        if (!terms.some((term) => !term.excluded) && author === undefined) {
          throw new BoardError("invalid_search", "Search for at least one word (or give an author).", { fields: { q: "q needs at least one word" } });
        }
        const messages = await withReactions(db, await searchMessages(db, { terms, board, author, limit }));
        return { results: messages.map((message) => ({ message, highlight: highlight(message.text, terms) })) };
      }),
    find: (id) => withDatabase(async (db) => (await withReactions(db, [await find(db, id)]))[0]!),
    around: (id, count) =>
      withDatabase(async (db) => {
        const message = await find(db, id);
        const [before, after] = await Promise.all([olderMessages(db, message.board, message, count), newerMessages(db, message.board, message, count)]);
        const [shown, ...rest] = await withReactions(db, [message, ...before.reverse(), ...after]);
        return { message: shown!, before: rest.slice(0, before.length), after: rest.slice(before.length) };
      }),
  };
}
