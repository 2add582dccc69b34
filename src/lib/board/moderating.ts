import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Person } from "../accounts/people";
import { KafkaUnavailableError } from "../kafka/producer";
import { errorFields, type Logger } from "../log";
import { messageIdSchema, messageTextSchema, type Message, type MessageChange } from "../messages/schema";
import { BoardError, issuesByField } from "./errors";

export type ModeratingDeps = {
  /** A message as readers see it now (edits applied); undefined if there is none or it was deleted. */
  find(id: string): Promise<Message | undefined>;
  /** The account that owns a board, if one does. */
  ownerOf(board: string): Promise<string | undefined>;
  /** Produces a change on the message topic; resolves once every in-sync replica has it. */
  produce(change: MessageChange): Promise<unknown>;
  /** How long after posting an author may edit. */
  editWindowMs: number;
  log: Logger;
};

export type Moderating = {
  /** The author, the board's owner or an administrator deletes a message. */
  remove(id: string, actor: Person | undefined): Promise<void>;
  /** The author edits a message within the edit window; resolves to the message as it now reads. */
  edit(id: string, input: unknown, actor: Person | undefined): Promise<Message>;
};

const editSchema = z.strictObject({ text: messageTextSchema });

/**
 * Edits and deletions as the web process takes them: the actor's right to make them checked here, on the
 * server, and each made a record on the message topic, which every view applies in the board's order.
 */
export function createModerating({ find, ownerOf, produce, editWindowMs, log }: ModeratingDeps): Moderating {
  /** The message, once the id is one and the actor signed in; a refusal otherwise. */
  const target = async (id: string, actor: Person | undefined, doing: string) => {
    if (!actor) throw new BoardError("sign_in_required", `Sign in to ${doing} messages.`);
    if (!messageIdSchema.safeParse(id).success) throw new BoardError("unknown_message", "There is no message with this id.");
    const message = await find(id);
    if (!message) throw new BoardError("unknown_message", "There is no message with this id.");
    return { message, actor };
  };
  const send = async (change: MessageChange) => {
    try {
      await produce(change);
    } catch (error) {
      if (!(error instanceof KafkaUnavailableError)) throw error;
      log.warn(`${change.kind} refused: Kafka unavailable`, errorFields(error));
      throw new BoardError("kafka_unavailable", "Kafka did not accept the change; nothing was changed. Try again shortly.");
    }
  };
  const change = (message: Message, actor: Person) => ({
    id: randomUUID(),
    target: message.id,
    board: message.board,
    at: new Date().toISOString(),
    by: actor.id,
  });

  return {
    async remove(id, asking) {
      const { message, actor } = await target(id, asking, "delete");
      const allowed = actor.admin || message.account?.id === actor.id || (await ownerOf(message.board)) === actor.id;
      if (!allowed) throw new BoardError("not_allowed", "Only its author, the board's owner or moderators and administrators may delete this message.");
      await send({ kind: "delete", ...change(message, actor) });
      log.info("message deleted", { id: message.id, board: message.board, by: actor.id });
    },

    async edit(id, input, asking) {
      const { message, actor } = await target(id, asking, "edit");
      if (message.account?.id !== actor.id) throw new BoardError("not_allowed", "Only its author may edit a message.");
      const parsed = editSchema.safeParse(input);
      if (!parsed.success) {
        const { fields, summary } = issuesByField(parsed.error);
        throw new BoardError("invalid_edit", summary, { fields });
      }
      if (Date.now() - Date.parse(message.createdAt) > editWindowMs) {
        throw new BoardError("edit_window_closed", `A message can be edited for ${Math.round(editWindowMs / 60_000)} minutes after it is posted.`);
      }
      const edit = { kind: "edit" as const, ...change(message, actor), text: parsed.data.text };
      await send(edit);
      return { ...message, text: edit.text, editedAt: edit.at };
    },
  };
}
