import { formatFullTime, formatRelativeTime } from "@/lib/messages/format-time";
import type { StoredMessage } from "@/lib/messages/schema";

export function MessageItem({ message, now }: { message: StoredMessage; now: Date }) {
  return (
    <li className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-seq={message.seq}>
      <div className="mb-1 flex items-baseline justify-between gap-3">
        <span className="truncate font-semibold">{message.author}</span>
        <time
          dateTime={message.createdAt}
          title={formatFullTime(message.createdAt)}
          className="shrink-0 text-xs text-board-muted"
          suppressHydrationWarning
        >
          {formatRelativeTime(message.createdAt, now)}
        </time>
      </div>
      {/* Text is rendered as text, never as markup; line breaks are kept. */}
      <p className="whitespace-pre-wrap break-words text-slate-800">{message.text}</p>
    </li>
  );
}
