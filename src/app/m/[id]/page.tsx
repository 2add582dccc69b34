import "server-only";
import Link from "next/link";
import { notFound } from "next/navigation";
import { refusalOf } from "@/lib/board/errors";
import { ArchivedItem } from "@/components/ArchivedItem";
import { boardPath } from "@/lib/messages/boards";
import { messageIdSchema } from "@/lib/messages/schema";
import { pageContext } from "@/server/page-context";

export const dynamic = "force-dynamic";
export const metadata = { title: "A message · Message board" };

/** A message where it was posted: its board, with the messages just before and after it. */
export default async function MessagePage({ params }: { params: Promise<{ id: string }> }) {
  const id = messageIdSchema.safeParse((await params).id);
  if (!id.success) notFound();
  const { archive, defaultBoard } = pageContext();
  const found = await archive.around(id.data, 10).catch((error: unknown) => {
    const refusal = refusalOf(error);
    if (refusal?.code === "unknown_message") notFound();
    if (refusal) return refusal.message;
    throw error;
  });
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-8 sm:py-12">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">{typeof found === "string" ? "A message" : `On ${found.message.board}`}</h1>
        <nav aria-label="Board" className="flex gap-4 text-sm font-medium">
          <Link
            href={typeof found === "string" ? "/" : boardPath(found.message.board, defaultBoard)}
            className="text-board-accent underline-offset-2 hover:underline"
          >
            The live board
          </Link>
          <Link href="/search" className="text-board-accent underline-offset-2 hover:underline">
            Search
          </Link>
        </nav>
      </header>
      {typeof found === "string" ? (
        <p role="alert">{found}</p>
      ) : (
        <ol aria-label="Messages around it" className="flex flex-col gap-3">
          {[...found.before, found.message, ...found.after].map((message) => (
            <ArchivedItem key={message.id} message={message} current={message.id === found.message.id} />
          ))}
        </ol>
      )}
    </main>
  );
}
