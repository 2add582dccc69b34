import { memo, useState } from "react";
import { formatFullTime, formatRelativeTime } from "@/lib/messages/format-time";
import { pipelineStages } from "@/lib/messages/pipeline-stages";
import { ReactionBar } from "./ReactionBar";
import { MessageActions } from "./MessageActions";
import { useRights } from "./viewer-context";
import type { BoardMessage } from "./useBoardStream";

/** Memoised: a new message renders itself alone, not the hundred already shown. */
export const MessageItem = memo(function MessageItem({ message, now }: { message: BoardMessage; now: Date }) {
  // The stages are made when first opened: a flood of messages adds a few nodes each, not a dozen.
  const [opened, setOpened] = useState(false);
  const rights = useRights(message, now);
  return (
    <li
      className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm [contain-intrinsic-size:auto_7rem] [content-visibility:auto]"
      data-seq={message.seq}
    >
      <div className="mb-1 flex items-baseline justify-between gap-3">
        <span className="flex min-w-0 items-baseline gap-1.5">
          <span className="truncate font-semibold">{message.author}</span>
          {message.account && (
            <span title="Posted from a signed-in account" className="shrink-0 text-xs font-medium text-board-accent">
              ✓ <span className="sr-only">verified account</span>
            </span>
          )}
          {message.editedAt && (
            <span title={`Edited ${formatFullTime(message.editedAt)}`} className="shrink-0 text-xs text-board-muted">
              (edited)
            </span>
          )}
        </span>
        <time dateTime={message.createdAt} title={formatFullTime(message.createdAt)} className="shrink-0 text-xs text-board-muted" suppressHydrationWarning>
          {formatRelativeTime(message.createdAt, now)}
        </time>
      </div>
      {/* Text is rendered as text, never as markup; line breaks are kept. */}
      <p className="break-words whitespace-pre-wrap text-slate-800">{message.text}</p>
      <ReactionBar id={message.id} reactions={message.reactions} mine={message.mine} />
      <MessageActions message={message} {...rights} />
      <details className="mt-2 text-xs text-board-muted" onToggle={(event) => event.currentTarget.open && setOpened(true)}>
        <summary className="cursor-pointer select-none">
          Pipeline: partition {message.partition}, offset {message.offset}
        </summary>
        {opened && (
          <ol aria-label="Pipeline stages" className="mt-1 flex flex-wrap gap-x-3 gap-y-1 font-mono">
            {pipelineStages(message).map(({ stage, ms }) => (
              <li key={stage}>
                {stage} {ms === undefined ? "–" : `+${ms} ms`}
              </li>
            ))}
          </ol>
        )}
      </details>
    </li>
  );
});
