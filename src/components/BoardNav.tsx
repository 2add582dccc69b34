"use client";

import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { boardPath, byLatestActivity, type BoardSummary } from "@/lib/messages/boards";
import { formatRelativeTime } from "@/lib/messages/format-time";
import { NewBoardForm } from "./NewBoardForm";
import { useNow } from "./useNow";

/** How many boards the list shows before "All boards", and at most for a filter. */
const SHOWN = 30;

type Props = { boards: readonly BoardSummary[]; current: string; defaultBoard: string };

/**
 * The boards, for a thousand as for three: a sidebar on wide screens, behind a "Boards" button on narrow
 * ones; the busiest first with the rest behind "All boards", a filter by name, and the board shown always
 * in the list. The order is the busiest as of the page's start and then stays put: activity changes a
 * board's "5 min ago", never its place, and a new board joins at the end, so nothing moves under the reader.
 */
export function BoardNav({ boards, current, defaultBoard }: Props) {
  const now = useNow();
  const [open, setOpen] = useState(false);
  const [all, setAll] = useState(false);
  const [filter, setFilter] = useState("");
  const ids = { list: useId(), filter: useId() };
  // The busiest at first sight keep their places; boards created since follow them in the order they came.
  const [firstOrder] = useState(() => byLatestActivity(boards).map((board) => board.slug));
  const rank = useMemo(() => new Map(firstOrder.map((slug, i) => [slug, i])), [firstOrder]);
  const sorted = boards.toSorted((a, b) => (rank.get(a.slug) ?? Infinity) - (rank.get(b.slug) ?? Infinity));

  const wanted = filter.trim().toLowerCase();
  const matching = wanted ? sorted.filter((board) => board.name.toLowerCase().includes(wanted) || board.slug.includes(wanted)) : sorted;
  const shown = all && !wanted ? matching : matching.slice(0, SHOWN);
  const here = boards.find((board) => board.slug === current);
  if (here && !wanted && !shown.includes(here)) shown.unshift(here);
  const hidden = matching.length - shown.length;

  return (
    <nav aria-label="Boards" className="flex flex-col gap-3 lg:sticky lg:top-4">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={ids.list}
        onClick={() => setOpen((was) => !was)}
        className="flex items-center justify-between rounded-lg border border-slate-200 bg-white px-3 py-2 text-sm font-medium shadow-sm lg:hidden"
      >
        <span>
          Boards <span className="text-board-muted">({boards.length.toLocaleString("en")})</span>
        </span>
        <span aria-hidden="true">{open ? "▲" : "▼"}</span>
      </button>
      <div id={ids.list} className={`${open ? "flex" : "hidden"} flex-col gap-3 lg:flex`}>
        <label htmlFor={ids.filter} className="sr-only">
          Find a board
        </label>
        <input
          id={ids.filter}
          type="search"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          placeholder={`Find among ${boards.length.toLocaleString("en")} boards`}
          maxLength={60}
          className="rounded-lg border border-slate-300 px-3 py-1.5 text-sm"
        />
        <ul className="flex max-h-[60vh] flex-col gap-1 overflow-y-auto lg:max-h-[calc(100vh-14rem)]">
          {shown.map((board) => (
            <li key={board.slug} className="[contain-intrinsic-size:auto_2.5rem] [content-visibility:auto]">
              <Link
                href={boardPath(board.slug, defaultBoard)}
                aria-current={board.slug === current ? "page" : undefined}
                data-board={board.slug}
                onClick={() => setOpen(false)}
                className="flex h-10 items-center justify-between gap-2 rounded-lg px-3 text-sm hover:bg-slate-100 aria-[current=page]:bg-white aria-[current=page]:font-semibold aria-[current=page]:ring-1 aria-[current=page]:ring-board-accent"
              >
                <span className="truncate">{board.name}</span>
                <span className="shrink-0 text-xs text-board-muted" suppressHydrationWarning>
                  {board.latestAt === null ? "no messages yet" : formatRelativeTime(new Date(board.latestAt).toISOString(), now)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
        {wanted && matching.length === 0 && <p className="px-3 text-sm text-board-muted">No board is called that.</p>}
        {hidden > 0 &&
          (wanted ? (
            <p className="px-3 text-sm text-board-muted">{hidden.toLocaleString("en")} more match: type more of the name.</p>
          ) : (
            <button
              type="button"
              onClick={() => setAll(true)}
              className="self-start px-3 text-sm font-medium text-board-accent underline-offset-2 hover:underline"
            >
              All {boards.length.toLocaleString("en")} boards
            </button>
          ))}
        <NewBoardForm defaultBoard={defaultBoard} />
      </div>
    </nav>
  );
}
