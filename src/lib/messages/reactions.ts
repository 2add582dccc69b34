import { z } from "zod";
import { boardSlugSchema, emojiSchema, messageIdSchema, REACTION_EMOJI, reactionCountsSchema, type Emoji, type ReactionCounts } from "./schema";

export { emojiSchema, REACTION_EMOJI, reactionCountsSchema, type Emoji, type ReactionCounts };

/**
 * Who reacted: a digest of the reader's cookie (or account), never the cookie itself, so that whoever reads
 * the topics cannot act as the reader.
 */
export const reactorSchema = z.string().regex(/^[\w-]{16,64}$/, "reactor must be a reader's digest");

/**
 * A reaction given (`on`) or taken back: the value of every record on the reactions topic, keyed by the
 * message's id so that one message's reactions are read in the order they were given.
 */
export const reactionSchema = z.object({
  message: messageIdSchema,
  board: boardSlugSchema,
  emoji: emojiSchema,
  reactor: reactorSchema,
  on: z.boolean(),
  at: z.iso.datetime(),
});
export type Reaction = z.infer<typeof reactionSchema>;

/**
 * One message's reactions as the processor keeps them: who gave each emoji. The value of the compacted
 * result topic, keyed by message: its latest record is the message's state, which is what the processor
 * starts again from and what the views are fed.
 */
export const messageReactionsSchema = z.object({
  message: messageIdSchema,
  board: boardSlugSchema,
  given: z.partialRecord(emojiSchema, z.array(reactorSchema)),
});
export type MessageReactions = z.infer<typeof messageReactionsSchema>;

/** The stream's `reactions` event: a message's new counts. */
export const reactionsEventSchema = z.object({ id: messageIdSchema, board: boardSlugSchema, reactions: reactionCountsSchema });
export type ReactionsEvent = z.infer<typeof reactionsEventSchema>;

export function countsOf(given: MessageReactions["given"]): ReactionCounts {
  const counts: ReactionCounts = {};
  for (const emoji of REACTION_EMOJI) {
    const count = given[emoji]?.length ?? 0;
    if (count > 0) counts[emoji] = count;
  }
  return counts;
}

/** The emoji `reactor` gave. */
export function givenBy(given: MessageReactions["given"], reactor: string | undefined): Emoji[] {
  return reactor === undefined ? [] : REACTION_EMOJI.filter((emoji) => given[emoji]?.includes(reactor));
}

/** Width of the activity windows, and how far back they reach. */
export const ACTIVITY_WINDOW_MS = 10_000;
export const ACTIVITY_SPAN_MS = 60 * 60_000;

/**
 * A board's activity over the last hour, as the processor counts it: messages per window of
 * ACTIVITY_WINDOW_MS, by when the broker appended them; `[window start (ms), count]`, oldest first, empty
 * windows left out. The value of the compacted activity topic, keyed by board.
 */
export const boardActivityRecordSchema = z.object({
  board: boardSlugSchema,
  windows: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().positive()])),
});
export type BoardActivityRecord = z.infer<typeof boardActivityRecordSchema>;
