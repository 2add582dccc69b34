"use client";

import { startTransition, useCallback, useEffect, useRef, useState } from "react";
import { isChange, type History, type StoredChange, type StoredMessage } from "@/lib/messages/schema";
import { applyChanges, insertMessages } from "@/lib/messages/board-order";
import { openBoardFeed, positionOf, type BoardsChange, type ConnectionState } from "./board-feed";
import { frameBatch } from "./frame-batch";

export type { ConnectionState };

/** A message as this page has it; `deliveredAt` is when it arrived here live (not for history). */
export type BoardMessage = StoredMessage & { deliveredAt?: number };

/** How many times `limit` the live list may grow to while the reader is back in older pages. */
const SCROLLED_BACK_GROWTH = 5;

/** The list changes at most this often: a flood reads as ten steps a second, not sixty small costly ones. */
const LIST_UPDATE_MS = 100;

/**
 * The board's messages: the history the page was rendered with, kept current by the shared live feed. The
 * list keeps the newest `limit`, or, once the reader has gone back into older pages (`keepAll`), every one,
 * so that nothing falls out between the live list and the pages below it; up to a bound, past which the
 * list stops growing (however long the reader stays back, the page stays as light) and `newer` counts what
 * arrived above it until `showNewest` is called.
 */
export function useBoardStream(board: string, initial: History | null, limit: number, onBoards: (change: BoardsChange) => void, keepAll = false) {
  const [messages, setMessages] = useState<BoardMessage[]>(initial?.messages ?? []);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [newer, setNewer] = useState(0);
  /** How many browsers follow the board now, once the stream has said. */
  const [readers, setReaders] = useState<number | null>(null);
  const start = useRef(positionOf(initial));
  // The list as it is now, ahead of rendering: batches build on it, each frame on the one before.
  const list = useRef(messages);
  const show = useCallback((next: BoardMessage[]) => {
    list.current = next;
    setMessages(next);
  }, []);
  const back = useRef(keepAll);
  /** The newest `limit` of those that arrived above a full list, for `showNewest`. */
  const held = useRef<BoardMessage[]>([]);
  useEffect(() => {
    back.current = keepAll;
  }, [keepAll]);

  const boardsChanged = useRef(onBoards);
  useEffect(() => {
    boardsChanged.current = onBoards;
  }, [onBoards]);

  useEffect(() => {
    const bound = limit * SCROLLED_BACK_GROWTH;
    /** A batch's messages, then its changes: a change always comes after the message it changes. */
    const take = (batch: (BoardMessage | StoredChange)[]) => {
      add(batch.filter((entry): entry is BoardMessage => !isChange(entry)));
      const changes = batch.filter(isChange);
      if (changes.length === 0) return;
      show(applyChanges(list.current, changes));
      held.current = applyChanges(held.current, changes);
    };
    const add = (batch: BoardMessage[]) => {
      if (batch.length === 0) return;
      if (!back.current) return show(insertMessages(list.current, batch, limit));
      const all = insertMessages(list.current, batch, Number.POSITIVE_INFINITY);
      if (all.length <= bound) return show(all);
      // Full: the list keeps its oldest, which join the older pages, and what is above waits.
      if (list.current.length < bound || all.at(-bound) !== list.current[0]) show(all.slice(-bound));
      held.current = insertMessages(held.current, all.slice(0, -bound).toReversed(), limit);
      // Positions are dense, so the gap between the newest held and the newest shown is the count.
      setNewer(Math.max(0, (held.current[0]?.seq ?? 0) - (list.current[0]?.seq ?? 0)));
    };
    // Arrivals are rendered as a transition: the list gives way to keystrokes and yields between its parts,
    // so that a flood never holds up the reader's typing or makes one long task.
    const arrived = frameBatch<BoardMessage | StoredChange>((batch) => startTransition(() => take(batch)), LIST_UPDATE_MS);
    const close = openBoardFeed(board, start.current, {
      onMessage: (message) => arrived.add({ ...message, deliveredAt: Date.now() }),
      onChange: (change) => arrived.add(change),
      onState: setState,
      onReplace: (history) => {
        arrived.cancel();
        held.current = [];
        setNewer(0);
        show(history.messages.slice(0, limit));
      },
      onBoards: (change) => boardsChanged.current(change),
      onReaders: setReaders,
      // Only the message whose counts changed is replaced, so only it renders again.
      onReactions: ({ id, reactions }) =>
        startTransition(() => {
          const at = list.current.findIndex((message) => message.id === id);
          const shown = list.current[at];
          if (shown && JSON.stringify(shown.reactions ?? {}) !== JSON.stringify(reactions)) show(list.current.with(at, { ...shown, reactions }));
        }),
    });
    return () => {
      close();
      arrived.cancel();
    };
  }, [board, limit, show]);

  /** Back to the live list: the newest `limit`, with what arrived while it was full. */
  const showNewest = useCallback(() => {
    back.current = false;
    show(insertMessages(list.current.slice(0, limit), held.current.toReversed(), limit));
    held.current = [];
    setNewer(0);
  }, [limit, show]);

  return { messages, state, newer, showNewest, readers };
}
