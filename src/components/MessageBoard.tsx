"use client";

import Link from "next/link";
import { useCallback, useState } from "react";
import type { History } from "@/lib/messages/schema";
import { ConnectionBadge } from "./ConnectionBadge";
import { MessageForm } from "./MessageForm";
import { MessageList } from "./MessageList";
import { OlderMessages } from "./OlderMessages";
import { useBoardStream } from "./useBoardStream";
import { useOutbox } from "./useOutbox";

type Props = { initialHistory: History | null; historyLimit: number; board: string };

export function MessageBoard({ initialHistory, historyLimit, board }: Props) {
  const [scrolledBack, setScrolledBack] = useState(false);
  const { messages, state } = useBoardStream(initialHistory, historyLimit, scrolledBack);
  const onScrolledBack = useCallback(() => setScrolledBack(true), []);
  const { outbox, send, retry } = useOutbox(messages);
  return (
    <>
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">Message board</h1>
        <nav aria-label="Board" className="flex items-center gap-4">
          <Link href="/search" className="text-sm font-medium text-board-accent underline-offset-2 hover:underline">
            Search
          </Link>
          <ConnectionBadge state={state} />
        </nav>
      </header>
      {!initialHistory && (
        <p role="alert" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
          The message history could not be loaded (Redis is unreachable). New messages will appear once it is back.
        </p>
      )}
      <MessageForm onSend={send} />
      <MessageList messages={messages} outbox={outbox} onRetry={retry} />
      {/* Shown once the live list is full: before that, the board has no older messages. */}
      {messages.length >= historyLimit && <OlderMessages board={board} oldestLive={messages.at(-1)?.id} onScrolledBack={onScrolledBack} />}
    </>
  );
}
