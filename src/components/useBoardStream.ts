"use client";

import { useEffect, useRef, useState } from "react";
import type { History, StoredMessage } from "@/lib/messages/schema";
import { formatPosition } from "@/lib/messages/position";
import { insertMessage } from "@/lib/messages/board-order";
import { openBoardFeed, type ConnectionState } from "./board-feed";

export type { ConnectionState };

/** A message as this page has it; `deliveredAt` is when it arrived here live (not for history). */
export type BoardMessage = StoredMessage & { deliveredAt?: number };

/** The board's messages: the history the page was rendered with, kept current by the shared live feed. */
export function useBoardStream(initial: History | null, limit: number) {
  const [messages, setMessages] = useState<BoardMessage[]>(initial?.messages ?? []);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [mustReload, setMustReload] = useState(false);
  const start = useRef(startPosition(initial));

  useEffect(
    () =>
      openBoardFeed(start.current, {
        onMessage: (message) => setMessages((current) => insertMessage<BoardMessage>(current, { ...message, deliveredAt: Date.now() }, limit)),
        onState: setState,
        onReset: () => setMustReload(true),
      }),
    [limit],
  );

  return { messages, state, mustReload };
}

function startPosition(history: History | null): string {
  const newest = history?.messages[0];
  return history?.epoch && newest ? formatPosition(history.epoch, newest.seq) : "start";
}
