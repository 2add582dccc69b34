import { openBoardStream } from "@/lib/realtime/board-stream";

export const dynamic = "force-dynamic";

export const GET = (request: Request) => openBoardStream(request);
