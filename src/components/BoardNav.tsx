"use client";

import Link from "next/link";
import { boardPath, byLatestActivity, type BoardSummary } from "@/lib/messages/boards";
import { formatRelativeTime } from "@/lib/messages/format-time";
import { NewBoardForm } from "./NewBoardForm";
import { useNow } from "./useNow";

// The busiest boards, and the one shown: the list stays short on a phone.
const SHOWN = 8;

type Props = { boards: readonly BoardSummary[]; current: string; defaultBoard: string };

/** The boards, busiest first, each with when it last had a message; kept current by the live stream. */
export function BoardNav({ boards, current, defaultBoard }: Props) {
  const now = useNow();
  const sorted = byLatestActivity(boards);
  const shown = sorted.slice(0, SHOWN);
  const here = sorted.find((board) => board.slug === current);
  if (here && !shown.includes(here)) shown.push(here);
  return (
    <nav aria-label="Boards" className="flex flex-col gap-2">
      <ul className="flex flex-wrap gap-2">
        {shown.map((board) => (
          <li key={board.slug}>
            <Link
              href={boardPath(board.slug, defaultBoard)}
              aria-current={board.slug === current ? "page" : undefined}
              data-board={board.slug}
              className="flex flex-col rounded-lg border border-slate-200 bg-white px-3 py-1.5 text-sm shadow-sm hover:border-board-accent aria-[current=page]:border-board-accent aria-[current=page]:ring-1 aria-[current=page]:ring-board-accent"
            >
              <span className="font-medium">{board.name}</span>
              <span className="text-xs text-board-muted" suppressHydrationWarning>
                {board.latestAt === null ? "no messages yet" : formatRelativeTime(new Date(board.latestAt).toISOString(), now)}
              </span>
            </Link>
          </li>
        ))}
      </ul>
      <NewBoardForm defaultBoard={defaultBoard} />
    </nav>
  );
}
