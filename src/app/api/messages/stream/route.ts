import { methodNotAllowed } from "@/lib/http/api-error";
import { streamHandler } from "@/lib/http/fetch-call";
import { openBoardStream } from "@/lib/realtime/board-stream";

export const dynamic = "force-dynamic";

// In production the front door (src/lib/web/front-door.ts) answers GET before Next sees it.
export const GET = streamHandler(openBoardStream);
export const POST = methodNotAllowed(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
