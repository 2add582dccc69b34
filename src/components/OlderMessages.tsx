"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { olderPageSchema, type ArchivedMessage } from "@/lib/messages/schema";
import { ArchivedItem } from "./ArchivedItem";

const PAGE = 50;

type Props = {
  board: string;
  /** The oldest message the live list shows: older pages start below it. */
  oldestLive: string | undefined;
  /** Called once the first older page is shown, so that the live list above stops dropping its oldest. */
  onScrolledBack(): void;
};

/**
 * The board's past, from lasting history, a page at a time: loaded when the end of the list comes into
 * view, or with the button (which keyboards and screen readers use). Pages chain by message, so messages
 * arriving meanwhile move nothing here.
 */
export function OlderMessages({ board, oldestLive, onScrolledBack }: Props) {
  const [messages, setMessages] = useState<ArchivedMessage[]>([]);
  const [state, setState] = useState<"idle" | "loading" | "done" | "failed" | "unavailable">("idle");
  const from = messages.at(-1)?.id ?? oldestLive;
  const sentinel = useRef<HTMLDivElement>(null);

  const loadMore = useCallback(async () => {
    if (state === "loading" || state === "done" || state === "unavailable" || !from) return;
    setState("loading");
    try {
      const response = await fetch(`/api/history?board=${encodeURIComponent(board)}&before=${from}&limit=${PAGE}`, { cache: "no-store" });
      if (response.status === 503) return setState("unavailable");
      const page = olderPageSchema.parse(await response.json());
      setMessages((shown) => [...shown, ...page.messages.filter((message) => !shown.some((seen) => seen.id === message.id))]);
      if (page.messages.length > 0) onScrolledBack();
      setState(page.more ? "idle" : "done");
    } catch {
      setState("failed");
    }
  }, [board, from, onScrolledBack, state]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target || typeof IntersectionObserver !== "function") return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) void loadMore();
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore]);

  if (!oldestLive) return null;
  return (
    <section aria-labelledby="older-heading" className="flex flex-col gap-3">
      <h2 id="older-heading" className="sr-only">
        Older messages
      </h2>
      {messages.length > 0 && (
        <ol aria-label="Older messages" className="flex flex-col gap-3">
          {messages.map((message) => (
            <ArchivedItem key={message.id} message={message} />
          ))}
        </ol>
      )}
      <div ref={sentinel} className="flex justify-center text-sm text-board-muted" aria-live="polite">
        {state === "done" && <p>That is the first message of the board.</p>}
        {state === "unavailable" && <p>Older messages are not available (the board keeps no lasting history right now).</p>}
        {(state === "idle" || state === "failed" || state === "loading") && (
          <button
            type="button"
            onClick={() => void loadMore()}
            disabled={state === "loading"}
            className="rounded-lg px-3 py-1.5 font-medium text-board-accent underline-offset-2 hover:underline disabled:text-board-muted"
          >
            {state === "loading" ? "Loading older messages…" : state === "failed" ? "Could not load older messages. Try again" : "Load older messages"}
          </button>
        )}
      </div>
    </section>
  );
}
