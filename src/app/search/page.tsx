import "server-only";
import { PageHeader } from "@/components/PageHeader";
import { SearchBox } from "@/components/SearchBox";
import { pageContext } from "@/server/page-context";

export const dynamic = "force-dynamic";
export const metadata = { title: "Search · Message board" };

type Params = Record<string, string | string[] | undefined>;

/** A search is its address: `/search?q=…&author=…&board=…` opens with it, so a link shares it. */
export default async function SearchPage({ searchParams }: { searchParams: Promise<Params> }) {
  const { boards, defaultBoard } = pageContext();
  const params = await searchParams;
  const slugs = (await boards())?.map((board) => board.slug) ?? [defaultBoard];
  // Anything odd in the address is left to the search to refuse, with the same words as the API's.
  const first = (name: string) => [params[name]].flat()[0] ?? "";
  const board = first("board");
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-8 sm:py-12">
      <PageHeader title="Search" />
      <SearchBox boards={slugs} initial={{ text: first("q"), author: first("author"), board: slugs.includes(board) ? board : "" }} />
    </main>
  );
}
