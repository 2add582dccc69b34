import { z } from "zod";
import { boardActivitySchema, boardReadersSchema, boardSummarySchema, type BoardActivity, type BoardSummary } from "@/lib/messages/boards";
import { historySchema, isChange, storedEntrySchema, type History, type StoredChange, type StoredEntry, type StoredMessage } from "@/lib/messages/schema";
import { formatPosition, parsePosition } from "@/lib/messages/position";
import { safeJson } from "@/lib/safe-json";
import { reactionsEventSchema, type ReactionsEvent } from "@/lib/messages/reactions";
import { frameBatch } from "./frame-batch";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

export type FeedHandlers = {
  onMessage(message: StoredMessage): void;
  /** A message was edited or deleted. */
  onChange(change: StoredChange): void;
  onState(state: ConnectionState): void;
  /**
   * The board as it is now, in place of what the page has: it moved on further than the page can catch up
   * with, or its store lost its data and was refilled.
   */
  onReplace(history: History): void;
  /** A board was created, or boards had new messages. */
  onBoards(change: BoardsChange): void;
  /** How many browsers follow this board now. */
  onReaders(count: number): void;
  /** A message's reaction counts changed. */
  onReactions(event: ReactionsEvent): void;
};

export type BoardsChange = { created: BoardSummary } | { activity: BoardActivity };

const STREAM_URL = "/api/messages/stream";
const RETRY_MS = [500, 1000, 2000, 5000, 10_000];
// After this many failed attempts in a row the board says it is offline, and keeps trying.
const OFFLINE_AFTER = 3;

const connectionStateSchema = z.enum(["connecting", "live", "reconnecting", "offline"]);
const relaySchema = z.discriminatedUnion("type", [
  // Messages go to the other tabs in batches, once a frame: a structured clone each would cost more than the rest.
  z.object({ type: z.literal("messages"), messages: z.array(z.object({ message: storedEntrySchema, position: z.string() })) }),
  z.object({ type: z.literal("state"), state: connectionStateSchema }),
  z.object({ type: z.literal("replace"), history: historySchema }),
  z.object({ type: z.literal("created"), board: boardSummarySchema }),
  z.object({ type: z.literal("activity"), activity: boardActivitySchema }),
  z.object({ type: z.literal("readers"), count: z.number().int().nonnegative() }),
  z.object({ type: z.literal("reactions"), event: reactionsEventSchema }),
  z.object({ type: z.literal("hello") }),
]);
type Relay = z.infer<typeof relaySchema>;

/**
 * A board's live messages from `start` on. The tabs of one browser showing one board share one stream: the
 * tab holding the board's Web Lock opens the EventSource and relays what it receives over a
 * BroadcastChannel; when it closes, the lock passes to another tab, which opens the stream from its own
 * last position. Without those APIs (an insecure context, an old browser) each tab opens its own stream.
 * Returns a function that closes it all: a tab that moves to another board leaves no stream behind.
 */
export function openBoardFeed(board: string, start: string, handlers: FeedHandlers): () => void {
  let position = start;
  const fetchHistory = () => fetchBoardHistory(board);
  const replace = (history: History) => {
    position = positionOf(history);
    handlers.onReplace(history);
  };
  // Only move forwards: a relayed message may arrive after the tab caught up past it.
  const accept = (entry: StoredEntry, at: string) => {
    const current = parsePosition(position);
    const next = parsePosition(at);
    if (next && (!current || current.epoch !== next.epoch || next.seq > current.seq)) position = at;
    if (isChange(entry)) handlers.onChange(entry);
    else handlers.onMessage(entry);
  };
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  // A stream that was down missed changes to the counts of messages it already had: once it is live again,
  // they are read afresh with the board's history.
  let wasLive = false;
  const liveAgain = (state: ConnectionState, tell: (event: ReactionsEvent) => void) => {
    if (state !== "live") return;
    if (wasLive) {
      fetchHistory().then(
        (history) => history.messages.forEach(({ id, reactions = {} }) => tell({ id, board, reactions })),
        () => {},
      );
    }
    wasLive = true;
  };
  if (typeof BroadcastChannel !== "function" || !locks) {
    return chosenTransport()(board, () => position, {
      ...handlers,
      onState: (state) => {
        handlers.onState(state);
        liveAgain(state, handlers.onReactions);
      },
      onMessage: accept,
      onReset: async () => replace(await fetchHistory()),
    });
  }

  const channel = new BroadcastChannel(`message-board:feed:${board}`);
  const relay = (data: Relay) => channel.postMessage(data);
  const relayed = frameBatch<{ message: StoredEntry; position: string }>((messages) => relay({ type: "messages", messages }));
  const abandon = new AbortController();
  let leading: { stop(): void; release(): void } | undefined;
  let state: ConnectionState = "connecting";
  let readers: number | undefined;
  const setState = (next: ConnectionState) => {
    state = next;
    handlers.onState(next);
  };

  channel.onmessage = (event: MessageEvent<unknown>) => {
    const parsed = relaySchema.safeParse(event.data);
    if (!parsed.success) return;
    const data = parsed.data;
    if (data.type === "replace") return replace(data.history);
    if (data.type === "created") return handlers.onBoards({ created: data.board });
    if (data.type === "activity") return handlers.onBoards({ activity: data.activity });
    if (data.type === "readers") return handlers.onReaders(data.count);
    if (data.type === "reactions") return handlers.onReactions(data.event);
    if (leading) {
      if (data.type !== "hello") return;
      relay({ type: "state", state });
      if (readers !== undefined) relay({ type: "readers", count: readers });
      return;
    }
    if (data.type === "messages") for (const { message, position: at } of data.messages) accept(message, at);
    else if (data.type === "state") setState(data.state);
  };
  relay({ type: "hello" });
  // A follower hears only what is relayed from now on; what was stored since this page was rendered it
  // reads once from the history.
  void catchUp(board, () => position, accept);

  locks
    .request(`message-board:stream:${board}`, { signal: abandon.signal }, () => {
      const stop = chosenTransport()(board, () => position, {
        onMessage: (message, at) => {
          accept(message, at);
          relayed.add({ message, position: at });
        },
        onState: (next) => {
          setState(next);
          relay({ type: "state", state: next });
          liveAgain(next, (event) => {
            handlers.onReactions(event);
            relay({ type: "reactions", event });
          });
        },
        onReset: async () => {
          const history = await fetchHistory();
          replace(history);
          // What waited to be relayed is older than the board now replacing it.
          relayed.cancel();
          relay({ type: "replace", history });
        },
        onBoards: (change) => {
          handlers.onBoards(change);
          relay("created" in change ? { type: "created", board: change.created } : { type: "activity", activity: change.activity });
        },
        onReaders: (count) => {
          readers = count;
          handlers.onReaders(count);
          relay({ type: "readers", count });
        },
        onReactions: (event) => {
          handlers.onReactions(event);
          relay({ type: "reactions", event });
        },
      });
      // Held until this tab closes the feed; the browser releases it when the tab goes away.
      return new Promise<void>((release) => (leading = { stop, release }));
    })
    .catch(() => {
      // Abandoned before the lock was granted: this tab closed while another one led.
    });

  return () => {
    abandon.abort();
    relayed.cancel();
    leading?.stop();
    leading?.release();
    channel.close();
  };
}

type PositionedHandlers = Pick<FeedHandlers, "onState" | "onBoards" | "onReaders" | "onReactions"> & {
  onMessage(entry: StoredEntry, at: string): void;
  /** Brings the page up to the board as it is now, so that the stream can go on from there. */
  onReset(): Promise<void>;
};

/**
 * One EventSource from the position `from()` gives. The browser resumes a dropped stream by itself with
 * Last-Event-ID; when the server refuses a stream outright (Redis down, a restart) this opens a new one
 * from the last position seen, backing off.
 */
function openStream(board: string, from: () => string, handlers: PositionedHandlers): () => void {
  let source: EventSource | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const connect = () => {
    source = new EventSource(`${STREAM_URL}?${new URLSearchParams({ board, after: from() })}`);
    source.onopen = () => {
      failures = 0;
      handlers.onState("live");
    };
    source.onmessage = (event: MessageEvent<string>) => dispatch(board, handlers, "message", safeJson(event.data), event.lastEventId);
    for (const name of ["board", "activity", "presence", "reactions"])
      source.addEventListener(name, (event: MessageEvent<string>) => dispatch(board, handlers, name, safeJson(event.data), undefined));
    source.addEventListener("reset", () => {
      source?.close();
      handlers.onState("reconnecting");
      handlers.onReset().then(connect, () => {
        failures += 1;
        retryTimer = setTimeout(connect, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1] ?? 10_000);
      });
    });
    source.onerror = () => {
      if (source?.readyState !== EventSource.CLOSED) return handlers.onState("reconnecting");
      failures += 1;
      handlers.onState(failures >= OFFLINE_AFTER || !navigator.onLine ? "offline" : "reconnecting");
      retryTimer = setTimeout(connect, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1] ?? 10_000);
    };
  };

  connect();
  return () => {
    clearTimeout(retryTimer);
    source?.close();
  };
}

/** One event of the stream, whichever transport brought it. */
function dispatch(board: string, handlers: PositionedHandlers, event: string, data: unknown, id: string | undefined): void {
  if (event === "message") {
    const parsed = storedEntrySchema.safeParse(data);
    if (parsed.success && id) handlers.onMessage(parsed.data, id);
  } else if (event === "board") {
    const parsed = boardSummarySchema.safeParse(data);
    if (parsed.success) handlers.onBoards({ created: parsed.data });
  } else if (event === "activity") {
    const parsed = boardActivitySchema.safeParse(data);
    if (parsed.success) handlers.onBoards({ activity: parsed.data });
  } else if (event === "presence") {
    const parsed = boardReadersSchema.safeParse(data);
    if (parsed.success && parsed.data.board === board) handlers.onReaders(parsed.data.count);
  } else if (event === "reactions") {
    const parsed = reactionsEventSchema.safeParse(data);
    if (parsed.success && parsed.data.board === board) handlers.onReactions(parsed.data);
  }
}

const SOCKET_URL = "/api/messages/ws";
const socketMessageSchema = z.object({ event: z.string(), id: z.string().optional(), data: z.unknown().optional() });

/**
 * The same stream over a WebSocket, for readers whose setting asks for it: the same events as JSON
 * messages. A socket has no Last-Event-ID, so each connection resumes with `?after=` from the last position
 * seen; a closed socket is opened again, backing off as the SSE stream does.
 */
function openSocket(board: string, from: () => string, handlers: PositionedHandlers): () => void {
  let socket: WebSocket | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  const again = () => {
    failures += 1;
    handlers.onState(failures >= OFFLINE_AFTER || !navigator.onLine ? "offline" : "reconnecting");
    retryTimer = setTimeout(connect, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1] ?? 10_000);
  };
  const connect = () => {
    const url = new URL(`${SOCKET_URL}?${new URLSearchParams({ board, after: from() })}`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const current = new WebSocket(url);
    socket = current;
    current.onopen = () => {
      failures = 0;
      handlers.onState("live");
    };
    current.onmessage = (event: MessageEvent<unknown>) => {
      const parsed = socketMessageSchema.safeParse(typeof event.data === "string" ? safeJson(event.data) : undefined);
      if (!parsed.success) return;
      const { event: name, id, data } = parsed.data;
      if (name !== "reset") return dispatch(board, handlers, name, data, id);
      current.onclose = null;
      current.close();
      handlers.onState("reconnecting");
      handlers.onReset().then(connect, again);
    };
    current.onclose = () => {
      if (!stopped) again();
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    socket?.close();
  };
}

/** SSE unless this browser asked for WebSocket (`?transport=websocket` once, kept in its storage; `?transport=sse` undoes it). */
function chosenTransport(): typeof openStream {
  try {
    const asked = new URLSearchParams(location.search).get("transport");
    if (asked === "websocket" || asked === "sse") localStorage.setItem(TRANSPORT_KEY, asked);
    return localStorage.getItem(TRANSPORT_KEY) === "websocket" ? openSocket : openStream;
  } catch {
    return openStream; // storage refused (a private window's settings)
  }
}
const TRANSPORT_KEY = "message-board:transport";

const historyUrl = (board: string) => `/api/messages?${new URLSearchParams({ board })}`;

async function fetchBoardHistory(board: string): Promise<History> {
  const response = await fetch(historyUrl(board), { cache: "no-store" });
  if (!response.ok) throw new Error(`history answered ${response.status}`);
  return historySchema.parse(await response.json());
}

/** Where a page that shows `history` goes on from. */
export function positionOf(history: History | null): string {
  const newest = history?.messages[0];
  return history?.epoch && newest ? formatPosition(history.epoch, newest.seq) : "start";
}

async function catchUp(board: string, from: () => string, accept: (entry: StoredEntry, at: string) => void): Promise<void> {
  try {
    const response = await fetch(historyUrl(board), { cache: "no-store" });
    const history = historySchema.safeParse(await response.json());
    if (!history.success || !history.data.epoch) return;
    const { epoch, messages } = history.data;
    const current = parsePosition(from());
    if (current?.epoch && current.epoch !== epoch) return;
    for (const message of messages.toReversed()) {
      if (message.seq > (current?.seq ?? 0)) accept(message, formatPosition(epoch, message.seq));
    }
  } catch {
    // The leader's stream brings what comes next; the page shows what it was rendered with.
  }
}
