import { REACTION_EMOJI, reactionCountsSchema, type ReactionCounts } from "../messages/schema";
import { countsOf, type MessageReactions } from "../messages/reactions";
import type { Database } from "./database";

/**
 * The latest reactions of each message, as one statement: a result is the message's whole state, so
 * writing one again (a batch read twice) changes nothing.
 */
export async function storeReactions(database: Database, reactions: readonly MessageReactions[]): Promise<void> {
  if (reactions.length === 0) return;
  await database.query(
    `INSERT INTO message_reactions (message_id, board, counts, given)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[])
     ON CONFLICT (message_id) DO UPDATE SET board = excluded.board, counts = excluded.counts, given = excluded.given`,
    [
      reactions.map((each) => each.message),
      reactions.map((each) => each.board),
      reactions.map((each) => JSON.stringify(countsOf(each.given))),
      reactions.map((each) => JSON.stringify(each.given)),
    ],
  );
}

/** The counts of those of `ids` that have any. */
export async function reactionsOf(database: Database, ids: readonly string[]): Promise<Map<string, ReactionCounts>> {
  if (ids.length === 0) return new Map();
  const { rows } = await database.query<{ message_id: string; counts: unknown }>(
    "SELECT message_id, counts FROM message_reactions WHERE message_id = ANY($1::uuid[]) AND counts <> '{}'::jsonb",
    [ids],
  );
  const found = new Map<string, ReactionCounts>();
  for (const { message_id: id, counts } of rows) {
    const parsed = reactionCountsSchema.safeParse(counts);
    // jsonb keeps keys in its own order; the API gives them in the emoji's.
    if (parsed.success) found.set(id, Object.fromEntries(REACTION_EMOJI.flatMap((emoji) => (parsed.data[emoji] ? [[emoji, parsed.data[emoji]]] : []))));
  }
  return found;
}
