"use client";

import Link from "next/link";
import { useCallback, useState } from "react";
import type { BoardSummary } from "@/lib/messages/boards";
import type { History } from "@/lib/messages/schema";
import type { BoardsChange } from "./board-feed";
import { BoardNav } from "./BoardNav";
import { ConnectionBadge } from "./ConnectionBadge";
import { MessageForm } from "./MessageForm";
import { MessageList } from "./MessageList";
import { OlderMessages } from "./OlderMessages";
import { useBoardStream } from "./useBoardStream";
import { useOutbox } from "./useOutbox";
import { ViewerContext, type ViewerRights } from "./viewer-context";
import { LockToggle } from "./LockToggle";

type Props = {
  board: BoardSummary;
  /** Every board, or null when they could not be read. */
  boards: BoardSummary[] | null;
  defaultBoard: string;
  initialHistory: History | null;
  historyLimit: number;
  /** Who reads the page, and what that lets them do. */
  rights: ViewerRights;
  /** Accounts are on: the header offers to sign in. */
  accounts: boolean;
  /** Only the board's owner and moderators may post, as the page was rendered. */
  locked: boolean;
};

export function MessageBoard({ board, boards: initialBoards, defaultBoard, initialHistory, historyLimit, rights, accounts, locked: lockedAtFirst }: Props) {
  const [locked, setLocked] = useState(lockedAtFirst);
  const [scrolledBack, setScrolledBack] = useState(false);
  const [boards, setBoards] = useState<BoardSummary[]>(initialBoards ?? [board]);
  const onBoards = useCallback((change: BoardsChange) => setBoards((current) => applyBoardsChange(current, change)), []);
  // Going back to the newest starts the older pages afresh, below the new live list.
  const [olderPages, setOlderPages] = useState(0);
  const { messages, state, newer, showNewest, readers } = useBoardStream(board.slug, initialHistory, historyLimit, onBoards, scrolledBack);
  const onScrolledBack = useCallback(() => setScrolledBack(true), []);
  const backToNewest = () => {
    showNewest();
    setScrolledBack(false);
    setOlderPages((count) => count + 1);
    window.scrollTo({ top: 0 });
  };
  const { outbox, send, retry } = useOutbox(board.slug, messages);
  return (
    // One column on a phone; on a wide screen the boards are a sidebar beside the board.
    <ViewerContext value={rights}>
      <div className="flex flex-col gap-6 lg:grid lg:grid-cols-[15rem_minmax(0,1fr)] lg:grid-rows-[auto_1fr] lg:items-start lg:gap-x-8">
        <header className="flex flex-wrap items-center justify-between gap-3 lg:col-start-2 lg:row-start-1">
          <h1 className="text-2xl font-bold tracking-tight">{board.slug === defaultBoard ? "Message board" : board.name}</h1>
          <nav aria-label="Board" className="flex items-center gap-4">
            <Link href="/search" className="text-sm font-medium text-board-accent underline-offset-2 hover:underline">
              Search
            </Link>
            {accounts && (
              <Link href="/account" className="text-sm font-medium text-board-accent underline-offset-2 hover:underline">
                {rights.viewer ? rights.viewer.name : "Sign in"}
              </Link>
            )}
            {/* Its width kept from the start, so that the header does not shift when the count arrives. */}
            <p className="min-w-[6.5rem] text-right text-sm text-board-muted">{readers === null ? "" : `${readers.toLocaleString("en")} reading now`}</p>
            <ConnectionBadge state={state} />
          </nav>
        </header>
        <div className="lg:col-start-1 lg:row-span-2 lg:row-start-1">
          <BoardNav boards={boards} current={board.slug} defaultBoard={defaultBoard} />
        </div>
        <div className="flex flex-col gap-6 lg:col-start-2 lg:row-start-2">
          {!initialHistory && (
            <p role="alert" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
              The message history could not be loaded (Redis is unreachable). New messages will appear once it is back.
            </p>
          )}
          {locked && (
            <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
              This board is locked: {rights.role ? "only you and the other moderators may post." : "only its owner and moderators may post."}
            </p>
          )}
          {rights.role && <LockToggle board={board.slug} locked={locked} onChange={setLocked} />}
          {(!locked || rights.role) && <MessageForm onSend={send} signedInAs={rights.viewer?.name} />}
          <div aria-live="polite" className="sticky top-2 z-10 flex justify-center">
            {newer > 0 && (
              <button type="button" onClick={backToNewest} className="rounded-full bg-board-accent px-4 py-1.5 text-sm font-medium text-white shadow">
                {newer === 1 ? "1 newer message" : `${newer.toLocaleString("en")} newer messages`}: show the newest
              </button>
            )}
          </div>
          <MessageList messages={messages} outbox={outbox} onRetry={retry} />
          {/* Shown once the live list is full: before that, the board has no older messages. */}
          {messages.length >= historyLimit && (
            <OlderMessages key={olderPages} board={board.slug} oldestLive={messages.at(-1)?.id} onScrolledBack={onScrolledBack} />
          )}
        </div>
      </div>
    </ViewerContext>
  );
}

function applyBoardsChange(boards: BoardSummary[], change: BoardsChange): BoardSummary[] {
  if ("created" in change) {
    return boards.some((board) => board.slug === change.created.slug) ? boards : [...boards, change.created];
  }
  const { activity } = change;
  return boards.map((board) => {
    const latest = activity[board.slug];
    return latest !== undefined && latest > (board.latestAt ?? 0) ? { ...board, latestAt: latest } : board;
  });
}
