import { methodNotAllowed } from "@/lib/http/api-error";
import { routeHandler } from "@/lib/http/fetch-call";
import { getMessages, postMessage } from "@/lib/http/messages-api";

export const dynamic = "force-dynamic";

// In production the front door (src/lib/web/front-door.ts) answers POST before Next sees it.
export const POST = routeHandler(postMessage);
export const GET = routeHandler((call) => getMessages(call, "history"));
export const PUT = methodNotAllowed(["GET", "POST"]);
export const PATCH = PUT;
export const DELETE = PUT;
