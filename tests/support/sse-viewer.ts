// A viewer of the board's stream over plain HTTP that behaves like a browser's EventSource: it resumes
// with Last-Event-ID whenever its stream ends. Given several web instances it moves on to the next one, as
// a load balancer would when an instance goes away.
import { z } from "zod";
import { storedMessageSchema, type StoredMessage } from "../../src/lib/messages/schema";

const resetSchema = z.object({ reason: z.string() });
import { waitFor } from "./stack";

export type StreamViewer = {
  /** Every message received, in the order received, across reconnects. */
  messages: StoredMessage[];
  /** The reasons of `reset` events: the board moved on further than this viewer can catch up with. */
  resets: string[];
  /** The `board` events (boards created) and `activity` events (boards with new messages) received. */
  boardEvents: unknown[];
  activity: Record<string, number>[];
  /** How many streams it has opened. */
  connections: number;
  lastEventId: string | undefined;
  /** Resolves once a stream is open and the server has caught it up. */
  connected(): Promise<void>;
  close(): void;
};

type Options = { board?: string; after?: string; lastEventId?: string; reconnect?: boolean };

export function watchBoard(urls: string[], options: Options = {}): StreamViewer {
  const abort = new AbortController();
  let open = false;
  let turn = 0;
  const viewer: StreamViewer = {
    messages: [],
    resets: [],
    boardEvents: [],
    activity: [],
    connections: 0,
    lastEventId: options.lastEventId,
    connected: async () => void (await waitFor("the stream to open", () => open, { timeoutMs: 30_000 })),
    close: () => abort.abort(),
  };

  const readStream = async (url: string) => {
    const query = new URLSearchParams({
      ...(options.board && { board: options.board }),
      ...(viewer.lastEventId === undefined && options.after && { after: options.after }),
    });
    const headers: Record<string, string> = viewer.lastEventId ? { "Last-Event-ID": viewer.lastEventId } : {};
    const response = await fetch(`${url}/api/messages/stream?${query}`, { headers, signal: abort.signal });
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    viewer.connections += 1;
    open = true;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        onFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  };

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
    const event = fields.get("event")?.[0] ?? "message";
    if (event === "reset") viewer.resets.push(resetSchema.parse(JSON.parse(data)).reason);
    if (event === "board") viewer.boardEvents.push(JSON.parse(data));
    if (event === "activity") viewer.activity.push(z.record(z.string(), z.number()).parse(JSON.parse(data)));
    if (event !== "message") return;
    viewer.messages.push(storedMessageSchema.parse(JSON.parse(data)));
    const id = fields.get("id")?.[0];
    if (id) viewer.lastEventId = id;
  };

  void (async () => {
    while (!abort.signal.aborted) {
      const url = urls[turn % urls.length]!;
      try {
        await readStream(url);
      } catch {
        if (abort.signal.aborted) return;
        turn += 1; // this instance refused or went away: try the next
      }
      open = false;
      if (options.reconnect === false || viewer.resets.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 200)); // the stream's own retry is 1 s; be quicker
    }
  })();
  return viewer;
}
