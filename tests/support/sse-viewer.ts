// A viewer of the board's stream that behaves like a browser's EventSource over plain HTTP (it resumes with
// Last-Event-ID whenever its stream ends), or like the page's WebSocket (it resumes with ?after= from the last
// id). Given several web instances it moves on to the next one, as a load balancer would when an instance
// goes away or is shutting down (503). Anything else (another status, a frame that is not what the stream
// sends) is a fault it records and stops on.
import { WebSocket } from "ws";
import { z } from "zod";
import { boardReadersSchema } from "../../src/lib/messages/boards";
import { isChange, storedEntrySchema, type StoredChange, type StoredMessage } from "../../src/lib/messages/schema";
import { waitFor } from "./stack";

const resetSchema = z.object({ reason: z.string() });
const socketMessageSchema = z.object({ event: z.string(), id: z.string().optional(), data: z.unknown().optional() });

/** What ends the viewer instead of moving it on. */
class StreamFault extends Error {}

export type StreamViewer = {
  /** Every message received, in the order received, across reconnects. */
  messages: StoredMessage[];
  /** Every edit and deletion received, in the order received. */
  changes: StoredChange[];
  /** The reasons of `reset` events: the board moved on further than this viewer can catch up with. */
  resets: string[];
  /** The `board` events (boards created) and `activity` events (boards with new messages) received. */
  boardEvents: unknown[];
  activity: Record<string, number>[];
  /** The counts of `presence` events: how many follow the board, across every instance. */
  readers: number[];
  /** How many streams it has opened. */
  connections: number;
  /** What went wrong that a browser would not have shrugged off; the viewer stopped at the first. */
  faults: string[];
  lastEventId: string | undefined;
  /** Resolves once a stream is open and the server has caught it up. */
  connected(): Promise<void>;
  /** Stops it; throws if it met a fault, so that none passes unseen even where nothing else looks. */
  close(): void;
};

/** The stream's two transports: Server-Sent Events, or the same events as WebSocket messages. */
export type Transport = "sse" | "websocket";
export const TRANSPORTS: readonly Transport[] = ["sse", "websocket"];

type Options = { board?: string; after?: string; lastEventId?: string; reconnect?: boolean; transport?: Transport };

export function watchBoard(urls: string[], options: Options = {}): StreamViewer {
  const abort = new AbortController();
  let open = false;
  let turn = 0;
  const viewer: StreamViewer = {
    messages: [],
    changes: [],
    resets: [],
    boardEvents: [],
    activity: [],
    readers: [],
    connections: 0,
    faults: [],
    lastEventId: options.lastEventId,
    connected: async () => {
      await waitFor("the stream to open", () => open || viewer.faults.length > 0, { timeoutMs: 30_000 });
      if (!open) throw new Error(`the stream did not open: ${viewer.faults.join("; ")}`);
    },
    close: () => {
      abort.abort();
      if (viewer.faults.length > 0) throw new Error(`a stream viewer met a fault: ${viewer.faults.join("; ")}`);
    },
  };

  const readStream = async (url: string) => {
    const query = new URLSearchParams({
      ...(options.board && { board: options.board }),
      ...(viewer.lastEventId === undefined && options.after && { after: options.after }),
    });
    const headers: Record<string, string> = viewer.lastEventId ? { "Last-Event-ID": viewer.lastEventId } : {};
    const response = await fetch(`${url}/api/messages/stream?${query}`, { headers, signal: abort.signal });
    if (response.status === 503) throw new Error("this instance refused the stream for now");
    if (!response.ok || !response.body) throw new StreamFault(`the stream answered ${response.status}: ${await response.text()}`);
    viewer.connections += 1;
    open = true;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const frame = buffer.slice(0, end);
        try {
          onFrame(frame);
        } catch (error) {
          throw new StreamFault(`a frame that is not the stream's (${String(error)}): ${frame.slice(0, 200)}`);
        }
        buffer = buffer.slice(end + 2);
      }
    }
  };

  /**
   * The same stream over a WebSocket, resumed with `?after=` from the last id, as the page does. A refusal
   * comes before the upgrade, as an HTTP answer.
   */
  const readSocket = (url: string) =>
    new Promise<void>((resolve, reject) => {
      const after = viewer.lastEventId ?? options.after;
      const query = new URLSearchParams({ ...(options.board && { board: options.board }), ...(after && { after }) });
      const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/messages/ws?${query}`);
      abort.signal.addEventListener("abort", () => socket.terminate(), { once: true });
      socket.on("unexpected-response", (_request, response) => {
        socket.terminate();
        if (response.statusCode === 503) reject(new Error("this instance refused the stream for now"));
        else reject(new StreamFault(`the WebSocket answered ${response.statusCode}`));
      });
      socket.on("open", () => {
        viewer.connections += 1;
        open = true;
      });
      socket.on("message", (data: Buffer) => {
        try {
          const { event, id, data: payload } = socketMessageSchema.parse(JSON.parse(data.toString("utf8")));
          if (event !== "heartbeat") onEvent(event, JSON.stringify(payload), id);
        } catch (error) {
          socket.terminate();
          reject(new StreamFault(`a message that is not the stream's (${String(error)}): ${data.toString("utf8").slice(0, 200)}`));
        }
      });
      socket.on("error", reject);
      socket.on("close", () => resolve());
    });

  const onFrame = (frame: string) => {
    const fields = new Map<string, string[]>();
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      fields.set(name, [...(fields.get(name) ?? []), value]);
    }
    const data = fields.get("data")?.join("\n");
    if (data === undefined) return;
    onEvent(fields.get("event")?.[0] ?? "message", data, fields.get("id")?.[0]);
  };

  const onEvent = (event: string, data: string, id: string | undefined) => {
    if (event === "reset") viewer.resets.push(resetSchema.parse(JSON.parse(data)).reason);
    if (event === "board") viewer.boardEvents.push(JSON.parse(data));
    if (event === "activity") viewer.activity.push(z.record(z.string(), z.number()).parse(JSON.parse(data)));
    if (event === "presence") viewer.readers.push(boardReadersSchema.parse(JSON.parse(data)).count);
    if (event !== "message") return;
    const entry = storedEntrySchema.parse(JSON.parse(data));
    if (isChange(entry)) viewer.changes.push(entry);
    else viewer.messages.push(entry);
    if (id) viewer.lastEventId = id;
  };

  void (async () => {
    while (!abort.signal.aborted) {
      const url = urls[turn % urls.length]!;
      try {
        await (options.transport === "websocket" ? readSocket(url) : readStream(url));
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof StreamFault) return void viewer.faults.push(error.message);
        turn += 1; // this instance refused or went away: try the next
      }
      open = false;
      if (options.reconnect === false || viewer.resets.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 200)); // the stream's own retry is 1 s; be quicker
    }
  })();
  return viewer;
}
