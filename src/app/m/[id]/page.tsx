import "server-only";
import Link from "next/link";
import { notFound } from "next/navigation";
import { BoardError } from "@/lib/board/errors";
import { formatFullTime } from "@/lib/messages/format-time";
import { messageIdSchema, type ArchivedMessage } from "@/lib/messages/schema";
import { pageContext } from "@/server/page-context";

export const dynamic = "force-dynamic";
export const metadata = { title: "A message · Message board" };

/** A message where it was posted: its board, with the messages just before and after it. */
export default async function MessagePage({ params }: { params: Promise<{ id: string }> }) {
  const id = messageIdSchema.safeParse((await params).id);
  if (!id.success) notFound();
  const found = await pageContext()
    .archive.around(id.data, 10)
    .catch((error: unknown) => {
      if (error instanceof BoardError && error.code === "unknown_message") notFound();
      if (error instanceof BoardError) return error.message;
      throw error;
    });
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-8 sm:py-12">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">{typeof found === "string" ? "A message" : `On ${found.message.board}`}</h1>
        <nav aria-label="Board" className="flex gap-4 text-sm font-medium">
          <Link href="/" className="text-board-accent underline-offset-2 hover:underline">
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
            <Item key={message.id} message={message} current={message.id === found.message.id} />
          ))}
        </ol>
      )}
    </main>
  );
}

function Item({ message, current }: { message: ArchivedMessage; current: boolean }) {
  return (
    <li
      id={`m-${message.id}`}
      aria-current={current ? "true" : undefined}
      className={`rounded-xl border bg-white p-4 shadow-sm ${current ? "border-board-accent ring-2 ring-board-accent" : "border-slate-200"}`}
    >
      <div className="mb-1 flex items-baseline justify-between gap-3">
        <span className="truncate font-semibold">{message.author}</span>
        <time dateTime={message.createdAt} className="shrink-0 text-xs text-board-muted">
          {formatFullTime(message.createdAt)}
        </time>
      </div>
      <p className="break-words whitespace-pre-wrap text-slate-800">{message.text}</p>
    </li>
  );
}
