import { z } from "zod";
import { BOARD_SLUG_MAX_LENGTH, boardSlugSchema, cleanText } from "./schema";

export const BOARD_NAME_MAX_LENGTH = 60;

/** What a client sends to create a board. Without a slug, one is made from the name. */
export const newBoardSchema = z.strictObject({
  name: cleanText("name", BOARD_NAME_MAX_LENGTH),
  slug: boardSlugSchema.optional(),
});
export type NewBoard = z.infer<typeof newBoardSchema>;

/**
 * A board as its creation record on the boards topic says it: the value of every record there. The first
 * record of a slug makes the board; a later one (two people chose the same slug at once) changes nothing.
 */
export const boardSchema = z.object({
  id: z.uuid(),
  slug: boardSlugSchema,
  name: cleanText("name", BOARD_NAME_MAX_LENGTH),
  createdAt: z.iso.datetime(),
  // The account that created it, when one did: its owner.
  owner: z.string().min(1).max(64).optional(),
});
export type Board = z.infer<typeof boardSchema>;

/** Who a ban is for: an account (`account:<id>`) or a guest's address (`address:<digest>`, never the address). */
export const banSubjectSchema = z.string().regex(/^(account|address):[\w-]{1,64}$/, "a ban is for account:<id> or address:<digest>");

/**
 * A change to a board's rules, on the boards topic under the board's slug, after its creation record: the
 * owner names moderators; moderators lock the board and ban accounts or addresses from posting to it, for a
 * while (`until`) or for good (null); the owner lets guests post or not. `by` is the account that did it.
 */
const ruleFields = { id: z.uuid(), board: boardSlugSchema, at: z.iso.datetime(), by: z.string().min(1).max(64) };
export const boardRuleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("moderator"), ...ruleFields, account: z.string().min(1).max(64), on: z.boolean() }),
  z.object({ kind: z.literal("lock"), ...ruleFields, locked: z.boolean() }),
  z.object({ kind: z.literal("guests"), ...ruleFields, allowed: z.boolean() }),
  z.object({ kind: z.literal("ban"), ...ruleFields, subject: banSubjectSchema, until: z.iso.datetime().nullable() }),
  z.object({ kind: z.literal("unban"), ...ruleFields, subject: banSubjectSchema }),
]);
export type BoardRule = z.infer<typeof boardRuleSchema>;

/** A board's rules as they stand: what posting and moderating are checked against. */
export const boardRulesSchema = z.object({
  locked: z.boolean(),
  guests: z.boolean(),
  moderators: z.array(z.string()),
});
export type BoardRules = z.infer<typeof boardRulesSchema> & {
  /** subject → until when (ms), or null for good. */
  bans: ReadonlyMap<string, number | null>;
};

/**
 * A board in the list of boards: its latest activity is when its newest message was stored (ms), if any;
 * `perMinute`, messages in the last minute, as the stream processor counts them.
 */
export const boardSummarySchema = boardSchema
  .pick({ slug: true, name: true, owner: true })
  .extend({ latestAt: z.number().nullable(), perMinute: z.number().int().nonnegative().optional() });
export type BoardSummary = z.infer<typeof boardSummarySchema>;

export const boardListSchema = z.object({ boards: z.array(boardSummarySchema) });

/** The boards that had new messages since the last such event, with when their newest was stored. */
export const boardActivitySchema = z.record(boardSlugSchema, z.number());
export type BoardActivity = z.infer<typeof boardActivitySchema>;

/** How the list of boards can be ordered: as created, or the busiest of the last minute (and hour) first. */
export const boardSortSchema = z.enum(["created", "trending"], { error: 'sort must be "created" or "trending"' });
export type BoardSort = z.infer<typeof boardSortSchema>;

/** How many streams follow a board now, across every web process: the stream's `presence` event. */
export const boardReadersSchema = z.object({ board: boardSlugSchema, count: z.number().int().nonnegative() });

/** "Kafka & Friends — Berlin" → "kafka-friends-berlin"; empty when the name has no letter or digit to use. */
export function slugFromName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, BOARD_SLUG_MAX_LENGTH)
    .replace(/^-+|-+$/g, "");
}

/** Where a board lives: the default board at `/`, every other one at `/b/<slug>`. */
export function boardPath(slug: string, defaultBoard: string): string {
  return slug === defaultBoard ? "/" : `/b/${slug}`;
}

/** Newest activity first; boards without messages after them, by name. */
export function byLatestActivity(boards: readonly BoardSummary[]): BoardSummary[] {
  return boards.toSorted((a, b) => (b.latestAt ?? 0) - (a.latestAt ?? 0) || a.name.localeCompare(b.name));
}
