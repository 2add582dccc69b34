import "server-only";
import { errorFields } from "../log";
import { parsePosition } from "../messages/position";
import { ApiError, errorReply, shuttingDown, tooMany } from "../http/api-error";
import { searchParams, type Call, type StreamOpening, type StreamSink } from "../http/call";
import { clientAddress } from "../http/client-address";
import { services } from "../web/services";
import { BacklogLimit } from "./backlog-limit";
import { encodeRetry, SSE_HEADERS } from "./sse";
import { Viewer } from "./viewer";

const RECONNECT_AFTER_MS = 1000;

/**
 * A viewer's stream: what it missed since the position it names (the browser's Last-Event-ID after a
 * reconnect, or `?after=` on a first connection), then every new message as it is stored.
 */
export async function openBoardStream(call: Call): Promise<StreamOpening> {
  const { hub, history, log, closing, config, streamGate } = services();
  if (closing) return { refused: errorReply(shuttingDown()) };
  const client = clientAddress(call, config.TRUSTED_PROXY_HOPS);
  const admission = streamGate.admit(client);
  if (!admission.admitted) {
    log.warn("stream refused: limit reached", { client, limit: admission.reason });
    return {
      refused: errorReply(
        admission.reason === "client"
          ? tooMany("too_many_streams", `At most ${config.STREAMS_PER_CLIENT} live streams per client; close some tabs or windows.`, 5)
          : new ApiError(503, "server_busy", "This server has as many viewers as it can serve; try again shortly.", undefined, { "Retry-After": "5" }),
      ),
    };
  }
  const resumeFrom = parsePosition(call.headers.get("last-event-id")) ?? parsePosition(searchParams(call).get("after"));
  try {
    await hub.ready();
  } catch (error) {
    admission.release();
    log.warn("stream refused: Redis subscription failed", errorFields(error));
    return { refused: errorReply(new ApiError(503, "store_unavailable", "Live updates are unavailable: Redis is unreachable.")) };
  }

  const attach = (sink: StreamSink) => {
    let open = true;
    const backlog = new BacklogLimit(config.STREAM_BUFFER_BYTES);
    const viewer = new Viewer(
      {
        send: (frame) => {
          if (!open) return;
          sink.write(frame);
          // A viewer that does not read would make us hold every message for it: let it go, and let its
          // browser reconnect and catch up from history once it can keep up.
          if (backlog.exceeded(sink.queuedBytes())) {
            log.warn("disconnected a viewer that does not keep up", { client, queuedBytes: sink.queuedBytes() });
            end(new Error("viewer too slow"));
          }
        },
        close: () => end(),
      },
      resumeFrom,
    );
    /** Once only, whichever comes first: we end the stream, or the client goes away. */
    const leave = () => {
      if (!open) return false;
      open = false;
      hub.remove(viewer);
      admission.release();
      return true;
    };
    const end = (dropped?: Error) => {
      if (leave()) sink.end(dropped);
    };
    sink.write(encodeRetry(RECONNECT_AFTER_MS));
    hub.add(viewer);
    history().then(
      (stored) => {
        backlog.catchingUp();
        viewer.catchUp(stored);
        backlog.caughtUp(sink.queuedBytes());
      },
      (error: unknown) => {
        log.warn("stream closed: history read failed", errorFields(error));
        end();
      },
    );
    return leave;
  };
  return { headers: SSE_HEADERS, attach };
}
