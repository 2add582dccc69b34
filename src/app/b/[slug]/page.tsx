import "server-only";
import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { boardSlugSchema } from "@/lib/messages/schema";
import { pageContext } from "@/server/page-context";
import { BoardView } from "../../board-view";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: `${(await params).slug} · Message board` };
}

/** Any board but the default one, which lives at `/`. */
export default async function BoardPage({ params }: Params) {
  const slug = boardSlugSchema.safeParse((await params).slug);
  if (!slug.success) notFound();
  const { defaultBoard, boardExists } = pageContext();
  if (slug.data === defaultBoard) redirect("/");
  if (!(await boardExists(slug.data))) notFound();
  return <BoardView slug={slug.data} />;
}
