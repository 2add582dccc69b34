// The first design's API, kept for its clients: POST {"text"} to post, GET for a plain array, newest first.
import { methodNotAllowed } from "@/lib/http/api-error";
import { routeHandler } from "@/lib/http/fetch-call";
import { getMessages, postMessage } from "@/lib/http/messages-api";

export const dynamic = "force-dynamic";

export const POST = routeHandler(postMessage);
export const GET = routeHandler((call) => getMessages(call, "list"));
export const PUT = methodNotAllowed(["GET", "POST"]);
export const PATCH = PUT;
export const DELETE = PUT;
