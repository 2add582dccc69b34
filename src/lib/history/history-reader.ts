import type { SearchTerm } from "../messages/search-terms";
import { toTsQuery } from "../messages/search-terms";
import type { Database } from "./database";
import type { ArchivedMessage } from "../messages/schema";
import { archived, MESSAGE_COLUMNS, type MessageRow } from "./message-history";

// A board's order, and its reverse, on the index that serves it.
const NEWEST_FIRST = `appended_at DESC, partition DESC, "offset" DESC`;

export async function findMessage(database: Database, id: string): Promise<ArchivedMessage | undefined> {
  const { rows } = await database.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [id]);
  return rows[0] && archived(rows[0]);
}

/**
 * Up to `limit` messages of the board older than `before` (a message of it), newest first: a keyset page,
 * as fast a thousand pages back as on the first, and steady while new messages arrive.
 */
export async function olderMessages(database: Database, board: string, before: ArchivedMessage | undefined, limit: number): Promise<ArchivedMessage[]> {
  const after = before ? `AND (appended_at, partition, "offset") < ($3::timestamptz, $4::int, $5::bigint)` : "";
  const values: unknown[] = [board, limit];
  if (before) values.push(new Date(before.appendedAt).toISOString(), before.partition, before.offset);
  const { rows } = await database.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE board = $1 ${after} ORDER BY ${NEWEST_FIRST} LIMIT $2`,
    values,
  );
  return rows.map(archived);
}

/**
 * Messages matching `terms` (see search-terms.ts) and, if given, by `author` and on `board`, newest first.
 * Terms and author are passed as values, never as SQL.
 */
export async function searchMessages(
  database: Database,
  { terms, board, author, limit }: { terms: readonly SearchTerm[]; board?: string; author?: string; limit: number },
): Promise<ArchivedMessage[]> {
  const conditions: string[] = [];
  const values: unknown[] = [limit];
  const tsquery = toTsQuery(terms);
  if (tsquery) conditions.push(`words @@ to_tsquery('simple', $${values.push(tsquery)})`);
  if (board) conditions.push(`board = $${values.push(board)}`);
  if (author) conditions.push(`lower(author) = lower($${values.push(author)})`);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  const { rows } = await database.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages ${where} ORDER BY ${NEWEST_FIRST} LIMIT $1`, values);
  return rows.map(archived);
}

/** Up to `limit` messages of the board newer than `after`, oldest first. */
export async function newerMessages(database: Database, board: string, after: ArchivedMessage, limit: number): Promise<ArchivedMessage[]> {
  const { rows } = await database.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE board = $1 AND (appended_at, partition, "offset") > ($3::timestamptz, $4::int, $5::bigint)
     ORDER BY appended_at, partition, "offset" LIMIT $2`,
    [board, limit, new Date(after.appendedAt).toISOString(), after.partition, after.offset],
  );
  return rows.map(archived);
}
