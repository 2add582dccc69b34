import { methodNotAllowed } from "@/lib/http/api-error";
import { openBoardStream } from "@/lib/realtime/board-stream";

export const dynamic = "force-dynamic";

export const GET = (request: Request) => openBoardStream(request);
export const POST = methodNotAllowed(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
