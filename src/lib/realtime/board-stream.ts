import "server-only";
import { errorFields } from "../log";
import { parsePosition } from "../messages/position";
import { ApiError, errorBody, shuttingDown } from "../http/api-error";
import { services } from "../web/services";
import { encodeRetry, SSE_HEADERS } from "./sse";
import { Viewer } from "./viewer";

const RECONNECT_AFTER_MS = 1000;

/**
 * A viewer's stream: what it missed since the position it names (the browser's Last-Event-ID after a
 * reconnect, or `?after=` on a first connection), then every new message as it is stored.
 */
export async function openBoardStream(request: Request): Promise<Response> {
  const { hub, history, log, closing } = services();
  if (closing) return shuttingDown();
  const resumeFrom =
    parsePosition(request.headers.get("last-event-id")) ?? parsePosition(new URL(request.url).searchParams.get("after"));
  try {
    await hub.ready();
  } catch (error) {
    log.warn("stream refused: Redis subscription failed", errorFields(error));
    const unavailable = new ApiError(503, "store_unavailable", "Live updates are unavailable: Redis is unreachable.");
    return Response.json(errorBody(unavailable), { status: 503 });
  }

  let close = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const viewer = new Viewer(
        {
          send: (frame) => open && controller.enqueue(frame),
          close: () => close(),
        },
        resumeFrom,
      );
      // Clean up on whichever comes first, the request's abort or the stream's cancel; once only.
      close = () => {
        if (!open) return;
        open = false;
        hub.remove(viewer);
        request.signal.removeEventListener("abort", close);
        controller.close();
      };
      request.signal.addEventListener("abort", close);
      controller.enqueue(encodeRetry(RECONNECT_AFTER_MS));
      hub.add(viewer);
      history().then(
        (stored) => viewer.catchUp(stored),
        (error: unknown) => {
          log.warn("stream closed: history read failed", errorFields(error));
          close();
        },
      );
    },
    cancel: () => close(),
  });
  return new Response(stream, { headers: SSE_HEADERS });
}
