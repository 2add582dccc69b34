import type { Metadata } from "next";
import Link from "next/link";
import { Inspector } from "@/components/Inspector";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Kafka inspector · Message board" };

export default function InspectPage() {
  return (
    <main className="mx-auto flex w-full max-w-5xl flex-col gap-6 px-4 py-8">
      <header className="flex flex-wrap items-baseline justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">Kafka inspector</h1>
        <Link href="/" className="text-sm font-semibold text-board-accent underline">
          Back to the board
        </Link>
      </header>
      <Inspector />
    </main>
  );
}
