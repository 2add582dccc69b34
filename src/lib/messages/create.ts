import { randomUUID } from "node:crypto";
import { ANONYMOUS_AUTHOR, type Message, type NewMessage } from "./schema";

export function createMessage(input: NewMessage, board: string, now = new Date()): Message {
  return {
    id: input.id ?? randomUUID(),
    board,
    author: input.author ?? ANONYMOUS_AUTHOR,
    text: input.text,
    createdAt: now.toISOString(),
  };
}
