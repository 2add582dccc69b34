import "server-only";
import { MessageBoard } from "@/components/MessageBoard";
import type { BoardSummary } from "@/lib/messages/boards";
import { headers } from "next/headers";
import { pageContext } from "@/server/page-context";

/** A board's page: its stored messages, live from here on, and the list of boards. */
export async function BoardView({ slug }: { slug: string }) {
  const { history, historyLimit, boards, defaultBoard, viewer, standing, accounts, editWindowMs } = pageContext();
  const cookie = (await headers()).get("cookie");
  // Without Redis the page still renders: the board says what is wrong and keeps trying to connect.
  const [initialHistory, all, signedIn] = await Promise.all([history(slug, cookie), boards(), viewer(cookie)]);
  const { role, locked } = await standing(slug, signedIn);
  const board: BoardSummary = all?.find((each) => each.slug === slug) ?? { slug, name: slug, latestAt: null };
  return (
    <main className="mx-auto w-full max-w-2xl px-4 py-8 sm:py-12 lg:max-w-5xl">
      {/* A board of its own for each slug: nothing of one board's state carries over to the next. */}
      <MessageBoard
        key={slug}
        board={board}
        boards={all}
        defaultBoard={defaultBoard}
        initialHistory={initialHistory}
        historyLimit={historyLimit}
        rights={{ viewer: signedIn, role, editWindowMs }}
        locked={locked}
        accounts={accounts.enabled}
      />
    </main>
  );
}
