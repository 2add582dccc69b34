import { getMessages, postMessage } from "@/lib/http/messages-api";

export const dynamic = "force-dynamic";

export const POST = (request: Request) => postMessage(request);
export const GET = (request: Request) => getMessages(request, "history");
