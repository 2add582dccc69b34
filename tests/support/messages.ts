import type { StoredMessage } from "../../src/lib/messages/schema";

/** A stored message at position `seq`, with an id and a text made from it. */
export function storedMessage(seq: number): StoredMessage {
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    board: "main",
    author: "Ann",
    text: `message ${seq}`,
    createdAt: "2026-01-01T00:00:00.000Z",
    seq,
    partition: 0,
    offset: String(seq - 1),
  };
}
