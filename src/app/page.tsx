import "server-only";
import { MessageBoard } from "@/components/MessageBoard";
import { pageContext } from "@/server/page-context";

export const dynamic = "force-dynamic";

export default async function BoardPage() {
  const { history, historyLimit, board } = pageContext();
  // Without Redis the page still renders: the board says what is wrong and keeps trying to connect.
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-8 sm:py-12">
      <MessageBoard initialHistory={await history()} historyLimit={historyLimit} board={board} />
    </main>
  );
}
