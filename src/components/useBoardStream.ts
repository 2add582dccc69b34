"use client";

import { useEffect, useRef, useState } from "react";
import type { History, StoredMessage } from "@/lib/messages/schema";
import { insertMessages } from "@/lib/messages/board-order";
import { openBoardFeed, positionOf, type BoardsChange, type ConnectionState } from "./board-feed";
import { frameBatch } from "./frame-batch";

export type { ConnectionState };

/** A message as this page has it; `deliveredAt` is when it arrived here live (not for history). */
export type BoardMessage = StoredMessage & { deliveredAt?: number };

/**
 * The board's messages: the history the page was rendered with, kept current by the shared live feed. The
 * list keeps the newest `limit`, or, once the reader has gone back into older pages (`keepAll`), every one,
 * so that nothing falls out between the live list and the pages below it.
 */
export function useBoardStream(board: string, initial: History | null, limit: number, onBoards: (change: BoardsChange) => void, keepAll = false) {
  const [messages, setMessages] = useState<BoardMessage[]>(initial?.messages ?? []);
  const [state, setState] = useState<ConnectionState>("connecting");
  const start = useRef(positionOf(initial));
  const kept = useRef(limit);
  useEffect(() => {
    kept.current = keepAll ? Number.POSITIVE_INFINITY : limit;
  }, [keepAll, limit]);

  const boardsChanged = useRef(onBoards);
  useEffect(() => {
    boardsChanged.current = onBoards;
  }, [onBoards]);

  useEffect(() => {
    // However fast messages arrive, the list changes once a frame.
    const arrived = frameBatch<BoardMessage>((batch) => setMessages((current) => insertMessages(current, batch, kept.current)));
    const close = openBoardFeed(board, start.current, {
      onMessage: (message) => arrived.add({ ...message, deliveredAt: Date.now() }),
      onState: setState,
      onReplace: (history) => {
        arrived.cancel();
        setMessages(history.messages.slice(0, limit));
      },
      onBoards: (change) => boardsChanged.current(change),
    });
    return () => {
      close();
      arrived.cancel();
    };
  }, [board, limit]);

  return { messages, state };
}
