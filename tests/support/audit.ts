// What the delivery guarantees promise about a run of stored messages, shared by the fault tests.
import type { Redis } from "ioredis";
import type { StoredMessage } from "../../src/lib/messages/schema";
import { readHistory } from "../../src/lib/store/message-store";
import type { Names } from "./stack";

export const range = (count: number) => Array.from({ length: count }, (_, i) => i);
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Oldest first, as the board shows them from the top of its history. */
export async function storedInOrder(redis: Redis, names: Names, limit: number, board = "main"): Promise<StoredMessage[]> {
  return (await readHistory(redis, names.keys, board, limit)).messages.toReversed();
}

/** Lost, duplicated and out-of-order messages among `stored`, counted rather than asserted one by one. */
export function audit(stored: readonly StoredMessage[], sent: readonly string[]) {
  const ids = stored.map((message) => message.id);
  const unique = new Set(ids);
  let reordered = 0;
  for (let i = 1; i < stored.length; i++) {
    const [before, here] = [stored[i - 1]!, stored[i]!];
    if (here.seq !== before.seq + 1 || here.partition !== before.partition || BigInt(here.offset) <= BigInt(before.offset)) reordered++;
  }
  return {
    sent: sent.length,
    stored: unique.size,
    lost: sent.filter((id) => !unique.has(id)).length,
    duplicated: ids.length - unique.size,
    reordered,
  };
}

export const clean = (figures: ReturnType<typeof audit>) => ({ lost: figures.lost, duplicated: figures.duplicated, reordered: figures.reordered });

/** Whether each sender's messages are stored in the order it sent them; the names of those that are not. */
export function sendersOutOfOrder(stored: readonly StoredMessage[], sentBySender: readonly (readonly string[])[]): number[] {
  const position = new Map(stored.map((message, i) => [message.id, i]));
  return sentBySender.flatMap((ids, sender) => {
    const positions = ids.map((id) => position.get(id) ?? -1);
    return positions.every((at, i) => i === 0 || at > (positions[i - 1] ?? -1)) ? [] : [sender];
  });
}
