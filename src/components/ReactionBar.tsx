"use client";

import { useState } from "react";
import { REACTION_EMOJI, type Emoji, type ReactionCounts } from "@/lib/messages/schema";

type Props = { id: string; reactions: ReactionCounts | undefined; mine: readonly Emoji[] | undefined };

/**
 * A message's reactions: each given emoji with its count, pressed when this reader gave it, and a picker
 * for the others. The counts come from the board's stream; what this reader gave is known here at once.
 */
export function ReactionBar({ id, reactions = {}, mine: initialMine = [] }: Props) {
  const [mine, setMine] = useState<ReadonlySet<Emoji>>(() => new Set(initialMine));
  const [picking, setPicking] = useState(false);
  const [failed, setFailed] = useState(false);
  const toggle = async (emoji: Emoji) => {
    const on = !mine.has(emoji);
    const change = (give: boolean) =>
      setMine((current) => {
        const next = new Set(current);
        if (give) next.add(emoji);
        else next.delete(emoji);
        return next;
      });
    change(on);
    setPicking(false);
    const response = await fetch(`/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`, { method: on ? "PUT" : "DELETE" }).catch(() => null);
    setFailed(!response?.ok);
    if (!response?.ok) change(!on);
  };
  const shown = REACTION_EMOJI.filter((emoji) => (reactions[emoji] ?? 0) > 0);
  return (
    <div className="mt-2 flex flex-wrap items-center gap-1.5 text-sm">
      {shown.map((emoji) => (
        <button
          key={emoji}
          type="button"
          aria-pressed={mine.has(emoji)}
          aria-label={`${emoji} ${reactions[emoji] ?? 0}`}
          onClick={() => void toggle(emoji)}
          className="rounded-full border border-slate-200 px-2 py-0.5 tabular-nums aria-pressed:border-board-accent aria-pressed:bg-sky-50"
        >
          {emoji} {reactions[emoji]}
        </button>
      ))}
      <button
        type="button"
        aria-expanded={picking}
        aria-label="Add a reaction"
        onClick={() => setPicking((open) => !open)}
        className="rounded-full border border-dashed border-slate-300 px-2 py-0.5 text-board-muted"
      >
        ☺+
      </button>
      {picking && (
        <span role="group" aria-label="Reactions" className="flex gap-1">
          {REACTION_EMOJI.map((emoji) => (
            <button
              key={emoji}
              type="button"
              aria-label={`React with ${emoji}`}
              aria-pressed={mine.has(emoji)}
              onClick={() => void toggle(emoji)}
              className="rounded px-1"
            >
              {emoji}
            </button>
          ))}
        </span>
      )}
      {failed && <span className="text-xs text-board-warn">Not saved; try again.</span>}
    </div>
  );
}
