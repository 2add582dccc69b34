"use client";

import type { History } from "@/lib/messages/schema";
import { ConnectionBadge } from "./ConnectionBadge";
import { MessageForm } from "./MessageForm";
import { MessageList } from "./MessageList";
import { useBoardStream } from "./useBoardStream";
import { useOutbox } from "./useOutbox";

type Props = { initialHistory: History | null; historyLimit: number };

export function MessageBoard({ initialHistory, historyLimit }: Props) {
  const { messages, state, mustReload } = useBoardStream(initialHistory, historyLimit);
  const { outbox, send, retry } = useOutbox(messages);
  return (
    <>
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">Message board</h1>
        <ConnectionBadge state={state} />
      </header>
      {!initialHistory && (
        <p role="alert" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
          The message history could not be loaded (Redis is unreachable). New messages will appear once it is back.
        </p>
      )}
      {mustReload && (
        <p role="alert" className="flex items-center justify-between gap-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
          The board moved on further than this page can catch up with.
          <button type="button" onClick={() => location.reload()} className="font-semibold underline">
            Reload
          </button>
        </p>
      )}
      <MessageForm onSend={send} />
      <MessageList messages={messages} outbox={outbox} onRetry={retry} />
    </>
  );
}
