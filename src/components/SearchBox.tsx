"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { searchResultsSchema, type SearchResults } from "@/lib/messages/schema";
import { formatFullTime } from "@/lib/messages/format-time";

const WAIT_MS = 150;

type Found = { state: "idle" } | { state: "searching" } | { state: "done"; results: SearchResults["results"] } | { state: "failed"; message: string };

type Search = { text: string; author: string; board: string };

/**
 * Searches history as you type: words match as prefixes, "quotes" a phrase, -word leaves out. Each answer
 * replaces the last; an answer that comes after a newer question is dropped. The address follows the
 * search (replaced, not pushed, so that Back leaves the search page), so a reload, Back from a result and
 * a shared link all open it again.
 */
export function SearchBox({ boards, initial }: { boards: readonly string[]; initial: Search }) {
  const [text, setText] = useState(initial.text);
  const [author, setAuthor] = useState(initial.author);
  const [board, setBoard] = useState(initial.board);
  const [found, setFound] = useState<Found>({ state: "idle" });
  const router = useRouter();
  const ids = { text: useId(), author: useId(), board: useId() };

  const empty = !text.trim() && !author.trim();
  useEffect(() => {
    const query = new URLSearchParams({ ...(text && { q: text }), ...(author.trim() && { author: author.trim() }), ...(board && { board }) });
    const address = query.size > 0 ? `/search?${query}` : "/search";
    const abort = new AbortController();
    const timer = setTimeout(() => {
      // Through the router, so that Back to this page finds the search as it was left.
      if (address !== `${window.location.pathname}${window.location.search}`) router.replace(address, { scroll: false });
      if (empty) return;
      setFound({ state: "searching" });
      fetch(`/api/search?${query}`, { signal: abort.signal, cache: "no-store" })
        .then(async (response) => {
          const body: unknown = await response.json();
          if (!response.ok) {
            const message = (body as { error?: { message?: string } }).error?.message ?? `The search failed (${response.status}).`;
            return setFound({ state: "failed", message });
          }
          setFound({ state: "done", results: searchResultsSchema.parse(body).results });
        })
        .catch((error: unknown) => {
          if (!abort.signal.aborted) setFound({ state: "failed", message: `The search failed: ${String(error)}` });
        });
    }, WAIT_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [text, author, board, empty, router]);
  const shown: Found = empty ? { state: "idle" } : found;

  return (
    <div className="flex flex-col gap-4">
      <form
        role="search"
        onSubmit={(event) => event.preventDefault()}
        className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      >
        <label htmlFor={ids.text} className="text-sm font-medium">
          Search messages
        </label>
        <input
          id={ids.text}
          type="search"
          value={text}
          onChange={(event) => setText(event.target.value)}
          maxLength={200}
          placeholder='kafka "consumer group" -lag'
          className="rounded-lg border border-slate-300 px-3 py-2"
          autoFocus
        />
        <div className="flex flex-wrap gap-3">
          <label className="flex flex-col gap-1 text-sm" htmlFor={ids.author}>
            Author
            <input
              id={ids.author}
              value={author}
              onChange={(event) => setAuthor(event.target.value)}
              maxLength={40}
              className="rounded-lg border border-slate-300 px-3 py-1.5"
            />
          </label>
          <label className="flex flex-col gap-1 text-sm" htmlFor={ids.board}>
            Board
            <select id={ids.board} value={board} onChange={(event) => setBoard(event.target.value)} className="rounded-lg border border-slate-300 px-3 py-1.5">
              <option value="">All boards</option>
              {boards.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>
      <section aria-label="Search results" aria-live="polite" aria-busy={shown.state === "searching"}>
        {shown.state === "failed" && <p role="alert">{shown.message}</p>}
        {shown.state === "done" && shown.results.length === 0 && <p className="text-board-muted">No messages match.</p>}
        {shown.state === "done" && shown.results.length > 0 && (
          <ol className="flex flex-col gap-3">
            {shown.results.map(({ message, highlight }) => (
              <li key={message.id} data-result={message.id} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                <div className="mb-1 flex items-baseline justify-between gap-3 text-sm">
                  <span className="truncate font-semibold">{message.author}</span>
                  <Link href={`/m/${message.id}`} className="shrink-0 text-board-accent underline-offset-2 hover:underline">
                    <time dateTime={message.createdAt}>{formatFullTime(message.createdAt)}</time> in {message.board}
                  </Link>
                </div>
                {/* The pieces are text; the matched ones are marked. Nothing in a message becomes markup. */}
                <p className="break-words whitespace-pre-wrap text-slate-800">
                  {highlight.map((piece, i) =>
                    piece.match ? (
                      <mark key={i} className="rounded bg-amber-200 px-0.5 text-board-ink">
                        {piece.text}
                      </mark>
                    ) : (
                      piece.text
                    ),
                  )}
                </p>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
