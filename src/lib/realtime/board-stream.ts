import "server-only";
import { errorFields } from "../log";
import { parsePosition } from "../messages/position";
import { ApiError, errorResponse, shuttingDown, tooMany } from "../http/api-error";
import { clientAddress } from "../http/client-address";
import { services } from "../web/services";
import { encodeRetry, SSE_HEADERS } from "./sse";
import { Viewer } from "./viewer";

const RECONNECT_AFTER_MS = 1000;
// What the stream itself may hold before it stops pulling from us; beyond it, frames queue here.
const STREAM_HIGH_WATER_BYTES = 16 * 1024;

/**
 * A viewer's stream: what it missed since the position it names (the browser's Last-Event-ID after a
 * reconnect, or `?after=` on a first connection), then every new message as it is stored.
 */
export async function openBoardStream(request: Request): Promise<Response> {
  const { hub, history, log, closing, config, streamGate } = services();
  if (closing) return shuttingDown();
  const client = clientAddress(request, config.TRUSTED_PROXY_HOPS);
  const admission = streamGate.admit(client);
  if (!admission.admitted) {
    log.warn("stream refused: limit reached", { client, limit: admission.reason });
    return errorResponse(
      admission.reason === "client"
        ? tooMany("too_many_streams", `At most ${config.STREAMS_PER_CLIENT} live streams per client; close some tabs or windows.`, 5)
        : new ApiError(503, "server_busy", "This server has as many viewers as it can serve; try again shortly.", undefined, { "Retry-After": "5" }),
    );
  }
  const resumeFrom =
    parsePosition(request.headers.get("last-event-id")) ?? parsePosition(new URL(request.url).searchParams.get("after"));
  try {
    await hub.ready();
  } catch (error) {
    admission.release();
    log.warn("stream refused: Redis subscription failed", errorFields(error));
    return errorResponse(new ApiError(503, "store_unavailable", "Live updates are unavailable: Redis is unreachable."));
  }

  let end = (_dropped?: Error) => {};
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const viewer = new Viewer(
          {
            send: (frame) => {
              if (!open) return;
              controller.enqueue(frame);
              // A viewer that does not read would make us hold every message for it: let it go, and let
              // its browser reconnect and catch up from history once it can keep up.
              if ((controller.desiredSize ?? 0) < -config.STREAM_BUFFER_BYTES) {
                log.warn("disconnected a viewer that does not keep up", { client, queuedBytes: STREAM_HIGH_WATER_BYTES - (controller.desiredSize ?? 0) });
                end(new Error("viewer too slow"));
              }
            },
            close: () => end(),
          },
          resumeFrom,
        );
        // Clean up on whichever comes first, the request's abort or the stream's cancel; once only.
        end = (dropped) => {
          if (!open) return;
          open = false;
          hub.remove(viewer);
          admission.release();
          request.signal.removeEventListener("abort", onAbort);
          // An error drops what is queued at once; a close lets the queue drain first.
          if (dropped) controller.error(dropped);
          else controller.close();
        };
        const onAbort = () => end();
        request.signal.addEventListener("abort", onAbort);
        controller.enqueue(encodeRetry(RECONNECT_AFTER_MS));
        hub.add(viewer);
        history().then(
          (stored) => viewer.catchUp(stored),
          (error: unknown) => {
            log.warn("stream closed: history read failed", errorFields(error));
            end();
          },
        );
      },
      cancel: () => end(),
    },
    new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER_BYTES }),
  );
  return new Response(stream, { headers: SSE_HEADERS });
}
