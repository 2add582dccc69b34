import { formatFullTime } from "@/lib/messages/format-time";
import type { ArchivedMessage } from "@/lib/messages/schema";

/** A message from lasting history, as the board's older pages and a message's own page show it. */
export function ArchivedItem({ message, current = false }: { message: ArchivedMessage; current?: boolean }) {
  return (
    <li
      id={`m-${message.id}`}
      data-archived={message.offset}
      aria-current={current ? "true" : undefined}
      className={`rounded-xl border bg-white p-4 shadow-sm ${current ? "border-board-accent ring-2 ring-board-accent" : "border-slate-200"}`}
    >
      <div className="mb-1 flex items-baseline justify-between gap-3">
        <span className="truncate font-semibold">{message.author}</span>
        <time dateTime={message.createdAt} className="shrink-0 text-xs text-board-muted">
          {formatFullTime(message.createdAt)}
        </time>
      </div>
      <p className="break-words whitespace-pre-wrap text-slate-800">{message.text}</p>
    </li>
  );
}
