import type { HeaderValues } from "./security-headers";

/**
 * What the handlers read of a request and what they answer, the same whichever server received it: Next's
 * route handlers (a fetch Request) or the front door (node:http, see src/lib/web/front-door.ts).
 */
export type Call = {
  /** The path and query, or a whole URL. */
  url: string;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
};

/** An answer with a JSON body, or none. */
export type Reply = { status: number; headers: HeaderValues; body: string };

export function jsonReply(status: number, value: unknown, headers: HeaderValues = {}): Reply {
  return { status, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(value) };
}

export function searchParams(call: Call): URLSearchParams {
  return new URL(call.url, "http://localhost").searchParams;
}

/** Where a streamed answer's bytes go, whichever server holds the connection. */
export type StreamSink = {
  write(chunk: Uint8Array): void;
  /** Bytes written that the connection has not taken yet. */
  queuedBytes(): number;
  /** Ends the answer after what is queued, or at once, dropping it, when `dropped` is given. */
  end(dropped?: Error): void;
};

/** A stream either refused with an answer, or opened: `attach` starts it and returns what to call when the client goes away. */
export type StreamOpening = { refused: Reply } | { refused?: undefined; headers: HeaderValues; attach(sink: StreamSink): () => void };
