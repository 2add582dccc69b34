"use client";

import { MessageItem } from "./MessageItem";
import { OutgoingItem } from "./OutgoingItem";
import type { Outgoing } from "./useOutbox";
import type { BoardMessage } from "./useBoardStream";
import { useNow } from "./useNow";

type Props = { messages: BoardMessage[]; outbox: Outgoing[]; onRetry(id: string): void };

export function MessageList({ messages, outbox, onRetry }: Props) {
  const now = useNow();
  return (
    <section aria-labelledby="messages-heading">
      <h2 id="messages-heading" className="sr-only">
        Messages
      </h2>
      {messages.length === 0 && outbox.length === 0 && <p className="text-center text-board-muted">No messages yet. Say hello!</p>}
      {/* The log region announces new messages politely; the list inside keeps its items a list. */}
      <div role="log" aria-live="polite" aria-label="Messages">
        <ol className="flex flex-col gap-3">
          {outbox.map((item) => (
            <OutgoingItem key={item.id} item={item} onRetry={onRetry} />
          ))}
          {messages.map((message) => (
            <MessageItem key={message.seq} message={message} now={now} />
          ))}
        </ol>
      </div>
    </section>
  );
}
