import type { StreamSink } from "../board/streams";
import type { HeaderValues } from "./security-headers";

/** What a handler reads of a request: plain data, so that a test can make one without a server. */
export type Call = {
  /** The path and query. */
  url: string;
  /** The address of the connection's other end: a client cannot choose it. */
  peer: string;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
  /** The path's `:name` segments, decoded, when its route has them (src/lib/http/router.ts). */
  params?: Readonly<Record<string, string>>;
  /** True for a WebSocket upgrade that this server can take over; a stream answer then becomes the socket. */
  websocket?: boolean;
};

/** A whole answer. */
export type Reply = { status: number; headers: HeaderValues; body: string };

/**
 * An answer that goes on: `attach` starts it and returns what to call when the client goes away. Over a
 * WebSocket the client may also send: `receive` answers each of its messages.
 */
export type StreamReply = { status: 200; headers: HeaderValues; attach(sink: StreamSink): () => void; receive?(message: string): Promise<string> };

export type Answer = Reply | StreamReply;
export type Handler = (call: Call) => Promise<Answer>;

export function jsonReply(status: number, value: unknown, headers: HeaderValues = {}): Reply {
  return { status, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(value) };
}

export function searchParams(call: Pick<Call, "url">): URLSearchParams {
  return new URL(call.url, "http://localhost").searchParams;
}

export const isStream = (answer: Answer): answer is StreamReply => "attach" in answer;
