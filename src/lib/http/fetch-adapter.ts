import { errorFields, type Logger } from "../log";
import { errorReply, internalError, notFound } from "./api-error";
import { isStream, type Call, type Reply, type StreamReply } from "./call";
import type { FindHandler } from "./node-adapter";

/**
 * Answers an API request given as a fetch-style Request, as Next's route handlers receive it, with the
 * same handlers the fast server calls from node:http.
 */
export async function answerRequest(findHandler: FindHandler, request: Request, log: Logger): Promise<Response> {
  const url = new URL(request.url);
  const handler = findHandler(request.method, url.pathname);
  if (!handler) return response(errorReply(notFound()));
  try {
    const answer = await handler(callOf(request, url));
    return isStream(answer) ? stream(answer) : response(answer, request.method === "HEAD");
  } catch (error) {
    log.error("unexpected error", errorFields(error));
    return response(errorReply(internalError()));
  }
}

function callOf(request: Request, url: URL): Call {
  return {
    url: url.pathname + url.search,
    // Route handlers are not told the connection's address. Next writes it into X-Forwarded-For when a
    // request comes without one, so the last entry is the peer when nobody else wrote there, and the
    // nearest proxy's word behind one (README, "Plain Next").
    peer: request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || "unknown",
    headers: request.headers,
    body: request.body && chunks(request.body),
  };
}

/** The body's chunks. A handler that stops reading early (a body over the limit) leaves it unread, not cancelled. */
async function* chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) yield read.value;
  } finally {
    reader.releaseLock();
  }
}

// A 204 has no body at all: Response refuses even an empty one.
const response = (reply: Reply, headOnly = false) =>
  new Response(headOnly || reply.status === 204 ? null : reply.body, { status: reply.status, headers: reply.headers });

/**
 * A stream's queue has a high-water mark of nothing, so what it holds beyond that (minus its desired
 * size) is what the client has not taken yet: the measure a slow viewer is dropped by.
 */
function stream(answer: StreamReply): Response {
  let gone: (() => void) | undefined;
  let open = true;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        gone = answer.attach({
          write: (chunk) => open && controller.enqueue(chunk),
          queuedBytes: () => -(controller.desiredSize ?? 0),
          end: (dropped) => {
            if (!open) return;
            open = false;
            if (dropped) controller.error(dropped);
            else controller.close();
          },
        });
      },
      cancel() {
        open = false;
        gone?.();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
  );
  return new Response(body, { status: answer.status, headers: answer.headers });
}
