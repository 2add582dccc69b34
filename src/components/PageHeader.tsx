import Link from "next/link";

/** The heading of a page beside the board (search, account), with the way back to it. */
export function PageHeader({ title }: { title: string }) {
  return (
    <header className="flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
      <Link href="/" className="text-sm font-medium text-board-accent underline-offset-2 hover:underline">
        Back to the board
      </Link>
    </header>
  );
}
