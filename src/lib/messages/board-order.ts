import type { MessageChange, StoredMessage } from "./schema";

/**
 * Adds a message to a newest-first list ordered by position, once: a message already present (the same
 * position, delivered again after a reconnect) leaves the list as it is. Keeps at most `limit` messages.
 */
export function insertMessage<T extends StoredMessage>(messages: T[], message: T, limit: number): T[] {
  const index = messages.findIndex((existing) => existing.seq <= message.seq);
  if (index !== -1 && messages[index]?.seq === message.seq) return messages;
  const at = index === -1 ? messages.length : index;
  return [...messages.slice(0, at), message, ...messages.slice(at)].slice(0, limit);
}

/** Adds several messages at once, as `insertMessage` does one by one. */
export function insertMessages<T extends StoredMessage>(messages: T[], added: readonly T[], limit: number): T[] {
  // Almost always: messages newer than the list's newest, in order. One copy of the list, not one per message.
  const newest = messages[0]?.seq ?? Number.NEGATIVE_INFINITY;
  if (added.every((message, i) => message.seq > (i === 0 ? newest : added[i - 1]!.seq))) return [...added.toReversed(), ...messages].slice(0, limit);
  return added.reduce((list, message) => insertMessage(list, message, limit), messages);
}

/** Applies changes, in order, to the messages of a list: an edit replaces the text, a deletion removes the message. */
export function applyChanges<T extends StoredMessage>(messages: T[], changes: readonly MessageChange[]): T[] {
  let list = messages;
  for (const change of changes) {
    const at = list.findIndex((message) => message.id === change.target);
    const shown = list[at];
    if (!shown) continue;
    if (change.kind === "delete") list = list.toSpliced(at, 1);
    else if (shown.text !== change.text || shown.editedAt !== change.at) list = list.with(at, { ...shown, text: change.text, editedAt: change.at });
  }
  return list;
}
