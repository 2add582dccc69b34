import "server-only";
import Link from "next/link";
import { SearchBox } from "@/components/SearchBox";
import { pageContext } from "@/server/page-context";

export const dynamic = "force-dynamic";
export const metadata = { title: "Search · Message board" };

export default async function SearchPage() {
  const { boards, defaultBoard } = pageContext();
  const slugs = (await boards())?.map((board) => board.slug) ?? [defaultBoard];
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-8 sm:py-12">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">Search</h1>
        <Link href="/" className="text-sm font-medium text-board-accent underline-offset-2 hover:underline">
          Back to the board
        </Link>
      </header>
      <SearchBox boards={slugs} />
    </main>
  );
}
