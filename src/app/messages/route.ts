// The first design's API, kept for its clients: POST {"text"} to post, GET for a plain array, newest first.
import { methodNotAllowed } from "@/lib/http/api-error";
import { getMessages, postMessage } from "@/lib/http/messages-api";

export const dynamic = "force-dynamic";

export const POST = (request: Request) => postMessage(request);
export const GET = (request: Request) => getMessages(request, "list");
export const PUT = methodNotAllowed(["GET", "POST"]);
export const PATCH = PUT;
export const DELETE = PUT;
