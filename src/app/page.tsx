import "server-only";
import { pageContext } from "@/server/page-context";
import { BoardView } from "./board-view";

export const dynamic = "force-dynamic";

export default function DefaultBoardPage() {
  return <BoardView slug={pageContext().defaultBoard} />;
}
