import { errorFields, type Logger } from "../log";
import type { History } from "../messages/schema";
import { BoardError } from "./errors";

export type BoardHistory = {
  /** A board's newest stored messages, newest first, at most what the store keeps; refused while it is unreachable. */
  read(board: string, limit?: number): Promise<History>;
};

export function boardHistory(readStored: (board: string, limit: number) => Promise<History>, limit: number, log: Logger): BoardHistory {
  return {
    async read(board, asked = limit) {
      try {
        return await readStored(board, Math.min(asked, limit));
      } catch (error) {
        log.warn("history read failed", errorFields(error));
        throw new BoardError("store_unavailable", "The message store (Redis) is unreachable; try again shortly.");
      }
    },
  };
}
