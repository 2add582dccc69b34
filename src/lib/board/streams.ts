import { errorFields, type Logger } from "../log";
import type { Position } from "../messages/position";
import type { BoardEntries } from "../messages/schema";
import { BacklogLimit } from "../realtime/backlog-limit";
import type { BoardHub } from "../realtime/board-hub";
import { encodeRetry } from "../realtime/sse";
import type { StreamGate } from "../realtime/stream-gate";
import { Viewer } from "../realtime/viewer";
import { BoardError } from "./errors";

/** Where a stream's bytes go, whichever server holds the connection. */
export type StreamSink = {
  write(chunk: Uint8Array): void;
  /** Bytes written that the connection has not taken yet. */
  queuedBytes(): number;
  /** Ends the stream after what is queued, or at once, dropping it, when `dropped` is given. */
  end(dropped?: Error): void;
};

/** An admitted stream: `attach` starts it and returns what to call when the client goes away. */
export type BoardStream = { attach(sink: StreamSink): () => void };

export type StreamsDeps = {
  hub: Pick<BoardHub, "ready" | "add" | "remove">;
  /** The board's newest entries, changes included, that a stream catches up from. */
  readHistory(board: string): Promise<BoardEntries>;
  boards: { require(slug: string): Promise<void> };
  gate: Pick<StreamGate, "admit">;
  limits: { perClient: number; bufferBytes: number };
  log: Logger;
};

export type Streams = {
  /**
   * A viewer's stream of one board: what it missed since `resumeFrom` (null: from now on), then every new
   * message as it is stored, and the list of boards as it changes. Refused for an unknown board, when the
   * client or the process has as many streams as allowed, or while Redis is away.
   */
  open(client: string, board: string, resumeFrom: Position | null): Promise<BoardStream>;
};

const RECONNECT_AFTER_MS = 1000;

export function createStreams({ hub, readHistory, boards, gate, limits, log }: StreamsDeps): Streams {
  return {
    async open(client, board, resumeFrom) {
      await boards.require(board);
      const admission = gate.admit(client);
      if (!admission.admitted) {
        log.warn("stream refused: limit reached", { client, limit: admission.reason });
        throw admission.reason === "client"
          ? new BoardError("too_many_streams", `At most ${limits.perClient} live streams per client; close some tabs or windows.`, { retryAfterSeconds: 5 })
          : new BoardError("server_busy", "This server has as many viewers as it can serve; try again shortly.", { retryAfterSeconds: 5 });
      }
      try {
        await hub.ready();
      } catch (error) {
        admission.release();
        log.warn("stream refused: Redis subscription failed", errorFields(error));
        throw new BoardError("store_unavailable", "Live updates are unavailable: Redis is unreachable.");
      }

      const attach = (sink: StreamSink) => {
        let open = true;
        const backlog = new BacklogLimit(limits.bufferBytes);
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
          hub.remove(board, viewer);
          admission.release();
          return true;
        };
        const end = (dropped?: Error) => {
          if (leave()) sink.end(dropped);
        };
        sink.write(encodeRetry(RECONNECT_AFTER_MS));
        // Live events first, held by the viewer, then the history: nothing falls between the two.
        hub.add(board, viewer);
        readHistory(board).then(
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
        return () => void leave();
      };
      return { attach };
    },
  };
}
