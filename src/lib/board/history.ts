import { errorFields, type Logger } from "../log";
import type { History } from "../messages/schema";
import { BoardError } from "./errors";

export type BoardHistory = {
  /**
   * A board's newest stored messages, newest first, at most what the store keeps, with their reactions
   * (and those `reactor` gave); refused while the store is unreachable.
   */
  read(board: string, limit?: number, reactor?: string): Promise<History>;
};

export function boardHistory(readStored: (board: string, limit: number, reactor?: string) => Promise<History>, limit: number, log: Logger): BoardHistory {
  return {
    async read(board, asked = limit, reactor) {
      try {
        return await readStored(board, Math.min(asked, limit), reactor);
      } catch (error) {
        log.warn("history read failed", errorFields(error));
        throw new BoardError("store_unavailable", "The message store (Redis) is unreachable; try again shortly.");
      }
    },
  };
}
