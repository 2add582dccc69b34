import type { PoolClient } from "pg";
import type { ArchivedMessage, Message, MessageChange } from "../messages/schema";
import { inTransaction, type Database } from "./database";

/**
 * One record of a partition as history sees it: a message, a change to one, or (when it is neither; the
 * store's consumer dead-letters those) nothing to keep but its offset, which still counts as read.
 */
export type HistoryRecord = { offset: string; message: Message | undefined; change?: MessageChange; appendedAt: number | undefined };

/**
 * Stored (how many new rows), or not applied: the records before `gapFrom` are not stored yet, or history
 * follows another log than the records' (`otherLog`).
 */
export type HistoryWrite = { stored: number } | { gapFrom: string } | { otherLog: true };

/**
 * Writes a run of one partition's records, in offset order, exactly once: the rows and the partition's
 * next offset commit in one transaction, records below that offset are skipped, and a run that starts
 * past it is refused, so that history has no holes. `logStart` is where a partition with no history yet
 * begins (the oldest offset the log keeps). The records come from `log`; offsets of any other mean nothing
 * here, so a run from a log history does not follow is refused.
 */
export async function writeHistory(
  database: Database,
  topic: string,
  partition: number,
  records: readonly HistoryRecord[],
  from: { log: string; logStart: () => Promise<string> },
): Promise<HistoryWrite> {
  const last = records.at(-1);
  if (!last) return { stored: 0 };
  return inTransaction(database, async (client) => {
    // Writers of one partition (a consumer and one whose partition was taken from it) take turns.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1), $2)", [topic, partition]);
    const { rows } = await client.query<{ log_id: string | null; next_offset: string | null }>(
      `SELECT (SELECT log_id FROM history_log WHERE topic = $1) AS log_id,
              (SELECT next_offset FROM history_offsets WHERE topic = $1 AND partition = $2) AS next_offset`,
      [topic, partition],
    );
    if (rows[0]?.log_id !== from.log) return { otherLog: true };
    const next = BigInt(rows[0].next_offset ?? (await from.logStart()));
    if (BigInt(records[0]!.offset) > next) return { gapFrom: next.toString() };
    const unread = records.filter((record) => BigInt(record.offset) >= next);
    const fresh = unread.filter((record): record is HistoryRecord & { message: Message } => record.message !== undefined);
    let stored = 0;
    if (fresh.length > 0) {
      const columns = {
        id: [] as string[],
        board: [] as string[],
        author: [] as string[],
        text: [] as string[],
        createdAt: [] as string[],
        appendedAt: [] as string[],
        offset: [] as string[],
        accountId: [] as (string | null)[],
        accountName: [] as (string | null)[],
      };
      for (const { offset, message, appendedAt } of fresh) {
        columns.id.push(message.id);
        columns.board.push(message.board);
        columns.author.push(message.author);
        columns.text.push(message.text);
        columns.createdAt.push(message.createdAt);
        columns.appendedAt.push(appendedAt === undefined ? message.createdAt : new Date(appendedAt).toISOString());
        columns.offset.push(offset);
        columns.accountId.push(message.account?.id ?? null);
        columns.accountName.push(message.account?.name ?? null);
      }
      // One statement for the whole run; a message id seen before (a retried post) keeps its first row, and
      // one deleted stays deleted.
      const inserted = await client.query(
        `INSERT INTO messages (id, board, author, text, created_at, appended_at, partition, "offset", account_id, account_name)
         SELECT id, board, author, text, created_at, appended_at, $7, "offset", account_id, account_name
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $8::bigint[], $9::text[], $10::text[])
           AS batch (id, board, author, text, created_at, appended_at, "offset", account_id, account_name)
         WHERE NOT EXISTS (SELECT 1 FROM deleted_messages WHERE deleted_messages.id = batch.id)
         ON CONFLICT (id) DO NOTHING`,
        [
          columns.id,
          columns.board,
          columns.author,
          columns.text,
          columns.createdAt,
          columns.appendedAt,
          partition,
          columns.offset,
          columns.accountId,
          columns.accountName,
        ],
      );
      stored = inserted.rowCount ?? 0;
    }
    // Changes after the messages: each comes after its message in the log, so the message is here by now.
    for (const { change } of unread) if (change) await applyChange(client, change);
    await client.query(
      `INSERT INTO history_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
      [topic, partition, (BigInt(last.offset) + 1n).toString()],
    );
    return { stored };
  });
}

/**
 * An edit replaces the text (and so the words search finds); a deletion moves the message out of every
 * read, its reactions with it, and is remembered so that a later copy of the message stays out.
 */
async function applyChange(client: PoolClient, change: MessageChange): Promise<void> {
  if (change.kind === "edit") {
    await client.query("UPDATE messages SET text = $2, edited_at = $3 WHERE id = $1", [change.target, change.text, change.at]);
    return;
  }
  await client.query(
    `WITH gone AS (DELETE FROM messages WHERE id = $1), reactions AS (DELETE FROM message_reactions WHERE message_id = $1)
     INSERT INTO deleted_messages (id, board, deleted_at, deleted_by) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
    [change.target, change.board, change.at, change.by],
  );
}

/** Forgets all history, rows and offsets at once, so that it is written again from the log. */
export async function clearHistory(database: Database): Promise<void> {
  await inTransaction(database, clearRows);
}

async function clearRows(client: PoolClient): Promise<void> {
  // In the order writers take them (offsets read, rows written), so that a writer under way finishes first
  // rather than deadlock with this.
  await client.query("LOCK TABLE history_offsets, messages, deleted_messages IN ACCESS EXCLUSIVE MODE");
  await client.query("TRUNCATE messages, deleted_messages, history_offsets");
  // Listening consumers go back to the start of the log now, rather than at their next record.
  await client.query(`NOTIFY ${HISTORY_RESET_CHANNEL}`);
}

/** The log history's offsets are positions in (see `writeHistory`); null when it records none. */
export async function historyLog(database: Database, topic: string): Promise<string | null> {
  const { rows } = await database.query<{ log_id: string }>("SELECT log_id FROM history_log WHERE topic = $1", [topic]);
  return rows[0]?.log_id ?? null;
}

/**
 * Records `to` as the log history follows, clearing history first if `clear`, in one transaction and only
 * if it still follows `from` (null: none). Resolves to whether it did.
 */
export async function followHistoryLog(database: Database, topic: string, from: string | null, to: string, clear: boolean): Promise<boolean> {
  return inTransaction(database, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('history_log'))");
    const { rows } = await client.query<{ log_id: string }>("SELECT log_id FROM history_log WHERE topic = $1", [topic]);
    if ((rows[0]?.log_id ?? null) !== from) return false;
    if (clear) await clearRows(client);
    await client.query(`INSERT INTO history_log (topic, log_id) VALUES ($1, $2) ON CONFLICT (topic) DO UPDATE SET log_id = excluded.log_id`, [topic, to]);
    return true;
  });
}

export const HISTORY_RESET_CHANNEL = "history_reset";

/** How far history has got in each partition of `topic`. */
export async function historyOffsets(database: Database, topic: string): Promise<Map<number, string>> {
  const { rows } = await database.query<{ partition: number; next_offset: string }>("SELECT partition, next_offset FROM history_offsets WHERE topic = $1", [
    topic,
  ]);
  return new Map(rows.map((row) => [row.partition, row.next_offset]));
}

export type MessageRow = {
  id: string;
  board: string;
  author: string;
  text: string;
  created_at: Date;
  appended_at: Date;
  partition: number;
  offset: string;
  account_id: string | null;
  account_name: string | null;
  edited_at: Date | null;
};

export const MESSAGE_COLUMNS = `id, board, author, text, created_at, appended_at, partition, "offset", account_id, account_name, edited_at`;

export function archived(row: MessageRow): ArchivedMessage {
  return {
    id: row.id,
    board: row.board,
    author: row.author,
    text: row.text,
    createdAt: row.created_at.toISOString(),
    partition: row.partition,
    offset: row.offset,
    appendedAt: row.appended_at.getTime(),
    ...(row.account_id && row.account_name && { account: { id: row.account_id, name: row.account_name } }),
    ...(row.edited_at && { editedAt: row.edited_at.toISOString() }),
  };
}

/**
 * Each board's newest `limit` messages (oldest first), every partition's next offset and the log those are
 * positions in, read in one snapshot so that they agree: what refills an emptied store.
 */
export async function newestWithOffsets(
  database: Database,
  topic: string,
  limit: number,
): Promise<{ messages: ArchivedMessage[]; nextOffsets: Map<number, string>; log: string | null }> {
  return inTransaction(
    database,
    async (client) => {
      // The boards one index step at a time (a loose index scan), then each board's newest on its own index.
      const { rows } = await client.query<MessageRow>(
        `WITH RECURSIVE boards(board) AS (
           (SELECT board FROM messages ORDER BY board LIMIT 1)
           UNION ALL
           SELECT (SELECT board FROM messages WHERE board > boards.board ORDER BY board LIMIT 1) FROM boards WHERE boards.board IS NOT NULL
         )
         SELECT newest.* FROM boards CROSS JOIN LATERAL (
           SELECT ${MESSAGE_COLUMNS} FROM messages WHERE messages.board = boards.board
           ORDER BY appended_at DESC, partition DESC, "offset" DESC LIMIT $1
         ) newest
         ORDER BY appended_at, partition, "offset"`,
        [limit],
      );
      const offsets = await client.query<{ partition: number; next_offset: string }>("SELECT partition, next_offset FROM history_offsets WHERE topic = $1", [
        topic,
      ]);
      const followed = await client.query<{ log_id: string }>("SELECT log_id FROM history_log WHERE topic = $1", [topic]);
      return {
        messages: rows.map(archived),
        nextOffsets: new Map(offsets.rows.map((row) => [row.partition, row.next_offset])),
        log: followed.rows[0]?.log_id ?? null,
      };
    },
    true,
  );
}
