"use client";

import { useCallback, useMemo, useState } from "react";
import { newMessageId } from "@/lib/messages/message-id";
import type { StoredMessage } from "@/lib/messages/schema";
import { postMessage, type Problems } from "./post-message";

/** A message this window posted that has not come back on the stream yet. */
export type Outgoing = {
  id: string;
  text: string;
  author: string | undefined;
  status: "sending" | "accepted" | "failed";
  problem?: string;
};

/**
 * Optimistic sending: a message shows at once, and leaves the outbox when the stored message with its id
 * arrives. Every attempt carries the same id, so a retry after an unanswered post is stored only once.
 */
export function useOutbox(board: string, stored: readonly StoredMessage[]) {
  const [outbox, setOutbox] = useState<Outgoing[]>([]);
  const storedIds = useMemo(() => new Set(stored.map((message) => message.id)), [stored]);

  const update = useCallback((id: string, change: Partial<Outgoing>) => {
    setOutbox((current) => current.map((item) => (item.id === id ? { ...item, ...change } : item)));
  }, []);

  /** Resolves to the problems that make the post itself wrong (the message is then withdrawn), if any. */
  const deliver = useCallback(
    async ({ id, text, author }: Outgoing): Promise<Problems | undefined> => {
      update(id, { status: "sending", problem: undefined });
      const result = await postMessage(author ? { id, board, text, author } : { id, board, text });
      if (result.ok || result.retryable) {
        update(id, result.ok ? { status: "accepted" } : { status: "failed", problem: result.problems.form ?? result.problems.text });
        return undefined;
      }
      setOutbox((current) => current.filter((item) => item.id !== id));
      return result.problems;
    },
    [board, update],
  );

  const send = useCallback(
    (text: string, author: string | undefined) => {
      const item: Outgoing = { id: newMessageId(), text, author, status: "sending" };
      // Messages that came back stored are shown as such; their outgoing copies can go.
      setOutbox((current) => [item, ...current.filter((sent) => !storedIds.has(sent.id))]);
      return deliver(item);
    },
    [deliver, storedIds],
  );

  const retry = useCallback(
    (id: string) => {
      const item = outbox.find((candidate) => candidate.id === id);
      if (item) void deliver(item);
    },
    [outbox, deliver],
  );

  return { outbox: outbox.filter((item) => !storedIds.has(item.id)), send, retry };
}
