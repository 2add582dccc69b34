import { z } from "zod";

export const TEXT_MAX_LENGTH = 1000;
export const AUTHOR_MAX_LENGTH = 40;
export const ANONYMOUS_AUTHOR = "Anonymous";

// Newline and tab are the only control characters a message may carry. The bidirectional embeddings,
// overrides and isolates count as control characters too: they can make a name or text read as another.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
// Something to see: not only spaces and invisible format characters (zero-width space, joiners, marks).
const VISIBLE = /[^\s\p{Cf}]/u;
// Half of a surrogate pair is no character at all; JSON lets a client send one alone ("\ud800").
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Trimmed, NFC-normalised text of 1 to `max` characters with something visible and no control characters. */
export const cleanText = (label: string, max: number) =>
  z
    .string({ error: `${label} must be a string` })
    .transform((value) => value.normalize("NFC").trim())
    .pipe(
      z
        .string()
        .min(1, `${label} must not be empty`)
        .max(max, `${label} must be at most ${max} characters`)
        .refine((value) => !CONTROL_CHARACTERS.test(value), `${label} must not contain control characters`)
        .refine((value) => !LONE_SURROGATE.test(value), `${label} must be valid Unicode text`)
        .refine((value) => VISIBLE.test(value), `${label} must contain something visible`),
    );

export const messageTextSchema = cleanText("text", TEXT_MAX_LENGTH);
export const authorSchema = cleanText("author", AUTHOR_MAX_LENGTH);

/** A message's identity, chosen by the client that sends it so that a retried post is recognised. */
export const messageIdSchema = z.uuid({ error: "id must be a UUID" });

export const BOARD_SLUG_MAX_LENGTH = 40;

/** A board's name in URLs, keys and records: safe in a path and in a Redis key without escaping. */
export const boardSlugSchema = z
  .string({ error: "board must be a string" })
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/,
    `board must be a board's slug: 1 to ${BOARD_SLUG_MAX_LENGTH} lower-case letters, digits and dashes, starting and ending with a letter or digit`,
  );

/**
 * What a client sends to post a message. Unknown fields are refused rather than silently dropped. A client
 * that may retry sends its own `id`: the store keeps one message per id, however often it is posted.
 */
export const newMessageSchema = z.strictObject({
  id: messageIdSchema.optional(),
  // Unset: the default board (`main`), as the first design's clients expect.
  board: boardSlugSchema.optional(),
  text: messageTextSchema,
  author: authorSchema.optional(),
});
export type NewMessage = z.infer<typeof newMessageSchema>;

/** A signed-in author, as the web app vouches for: the account's id and its name when it posted. */
export const accountRefSchema = z.object({ id: z.string().min(1).max(64), name: authorSchema });
export type AccountRef = z.infer<typeof accountRefSchema>;

/**
 * A message as the web app produces it to Kafka: the value of the topic's records, beside the changes
 * below. `account` is set only by the web app, from the session of the one who posted; `editedAt` only
 * by the views, once an edit applied (records that predate both still read).
 */
export const messageSchema = z.object({
  id: messageIdSchema,
  board: boardSlugSchema,
  author: authorSchema,
  text: messageTextSchema,
  createdAt: z.iso.datetime(),
  account: accountRefSchema.optional(),
  editedAt: z.iso.datetime().optional(),
});
export type Message = z.infer<typeof messageSchema>;

/**
 * A change to a message, on the same topic under the same key (its board) as the message, so that it is
 * on the same partition after it: every view meets the message before its change. `id` is the change's
 * own (a retried request is one change); `target` the message's; `by` the account that made it.
 */
const changeFields = { id: messageIdSchema, target: messageIdSchema, board: boardSlugSchema, at: z.iso.datetime(), by: z.string().min(1).max(64) };
export const messageChangeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("edit"), ...changeFields, text: messageTextSchema }),
  z.object({ kind: z.literal("delete"), ...changeFields }),
]);
export type MessageChange = z.infer<typeof messageChangeSchema>;

/** The reactions a reader can give: few, so that a row of them fits under a message on a phone. */
export const REACTION_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "🙏"] as const;
export const emojiSchema = z.enum(REACTION_EMOJI, { error: `emoji must be one of ${REACTION_EMOJI.join(" ")}` });
export type Emoji = z.infer<typeof emojiSchema>;

/** How many gave each emoji; emoji nobody gave are left out. What messages carry as `reactions`. */
export const reactionCountsSchema = z.partialRecord(emojiSchema, z.number().int().positive());
export type ReactionCounts = z.infer<typeof reactionCountsSchema>;

/** What the API adds to a message it returns: its reactions, and those the asking reader gave. */
const withReactions = { reactions: reactionCountsSchema.optional(), mine: z.array(emojiSchema).optional() };

/**
 * A message as the store holds it. `seq` is its position on the board: assigned when it is stored, it only
 * grows, so viewers can order, deduplicate and resume by it. Partition and offset say where Kafka kept it.
 */
export const storedMessageSchema = messageSchema.extend({
  seq: z.number().int().positive(),
  partition: z.number().int().nonnegative(),
  offset: z.string().regex(/^\d+$/),
  // When each stage of the pipeline had it, in milliseconds since the epoch (`createdAt` is when the web app
  // accepted it): appended to the topic (the record's timestamp), read by the consumer, stored in Redis.
  appendedAt: z.number().optional(),
  consumedAt: z.number().optional(),
  storedAt: z.number().optional(),
  ...withReactions,
});
export type StoredMessage = z.infer<typeof storedMessageSchema>;

/** A change as the store holds it: in the board's sequence, with its own `seq`, so that a resumed stream hears of it. */
export const storedChangeSchema = z.intersection(
  messageChangeSchema,
  z.object({
    seq: storedMessageSchema.shape.seq,
    partition: storedMessageSchema.shape.partition,
    offset: storedMessageSchema.shape.offset,
    storedAt: z.number().optional(),
  }),
);
export type StoredChange = z.infer<typeof storedChangeSchema>;

/** One entry of a board's list in the store: a message, or a change to one. */
export const storedEntrySchema = z.union([storedChangeSchema, storedMessageSchema]);
export type StoredEntry = z.infer<typeof storedEntrySchema>;

export const isChange = (entry: StoredEntry): entry is StoredChange => "kind" in entry;

/**
 * The board as readers see it from its entries (newest first): each change applied to its message, deleted
 * messages left out, the changes themselves too. A change whose message is older than the entries has
 * nothing here to apply to.
 */
export function foldEntries(newestFirst: readonly StoredEntry[]): StoredMessage[] {
  const changed = new Map<string, StoredChange | "deleted">();
  const messages: StoredMessage[] = [];
  for (const entry of newestFirst) {
    if (isChange(entry)) {
      // Newest first: the first change met is the one that stands; a deletion stands over any edit.
      const known = changed.get(entry.target);
      if (known !== "deleted" && (entry.kind === "delete" || !known)) changed.set(entry.target, entry.kind === "delete" ? "deleted" : entry);
      continue;
    }
    const change = changed.get(entry.id);
    if (change === "deleted") continue;
    messages.push(change?.kind === "edit" ? { ...entry, text: change.text, editedAt: change.at } : entry);
  }
  return messages;
}

/**
 * What the store publishes for every stored message. The epoch names one life of the store: if Redis loses
 * its data the positions start again under a new epoch, and a viewer can tell.
 */
export const boardEventSchema = z.object({
  epoch: z.string().min(1),
  // A change too, under the same name: the store's scripts publish whatever entry they stored.
  message: storedEntrySchema,
});
export type BoardEvent = z.infer<typeof boardEventSchema>;

export const historySchema = z.object({
  epoch: z.string().nullable(),
  messages: z.array(storedMessageSchema),
});
export type History = z.infer<typeof historySchema>;

/** A board's entries as the store has them, newest first: what a stream catches up from, changes included. */
export type BoardEntries = { epoch: string | null; entries: StoredEntry[] };

/** A message as lasting history (PostgreSQL) keeps it: where the log has it, and when the broker appended it. */
export const archivedMessageSchema = messageSchema.extend({
  partition: z.number().int().nonnegative(),
  offset: z.string().regex(/^\d+$/),
  appendedAt: z.number(),
  ...withReactions,
});
export type ArchivedMessage = z.infer<typeof archivedMessageSchema>;

/** One page of older messages, newest first; `more` while older ones remain. */
export const olderPageSchema = z.object({ messages: z.array(archivedMessageSchema), more: z.boolean() });
export type OlderPage = z.infer<typeof olderPageSchema>;

export const searchHitSchema = z.object({
  message: archivedMessageSchema,
  // The text in pieces, matched words marked: shown as text, never as markup.
  highlight: z.array(z.object({ text: z.string(), match: z.boolean() })),
});
export const searchResultsSchema = z.object({ results: z.array(searchHitSchema) });
export type SearchResults = z.infer<typeof searchResultsSchema>;
