import type { Database } from "./database";
import { inTransaction } from "./database";

/**
 * The schema, one step at a time. A step, once released, never changes: a change is a new step. Each is
 * applied once, in order, at start-up, by whichever process gets there first.
 */
export const MIGRATIONS: readonly { name: string; sql: string }[] = [
  {
    name: "001_messages",
    sql: `
      -- One row per message id: a post retried under the same id is one message.
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        board text NOT NULL,
        author text NOT NULL,
        text text NOT NULL,
        created_at timestamptz NOT NULL,
        -- Where the log keeps it. The board's order is the broker's: the time it appended the record,
        -- then partition and offset, which a rebuild from the log gives again.
        appended_at timestamptz NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL
      );
      CREATE INDEX messages_board_order ON messages (board, appended_at DESC, partition DESC, "offset" DESC);

      -- The next offset to store, per partition, committed with the rows it produced.
      CREATE TABLE history_offsets (
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        PRIMARY KEY (topic, partition)
      );
    `,
  },
  {
    name: "002_search",
    sql: `
      -- Words as written, lower-cased, in any language: the 'simple' configuration stems nothing, so a
      -- prefix typed so far matches the words that start with it.
      ALTER TABLE messages ADD COLUMN words tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
      CREATE INDEX messages_words ON messages USING gin (words);
      CREATE INDEX messages_author ON messages (lower(author), appended_at DESC);
      -- Keyset pages and search results across every board, newest first.
      CREATE INDEX messages_order ON messages (appended_at DESC, partition DESC, "offset" DESC);
    `,
  },
  {
    name: "003_history_log",
    sql: `
      -- Which log the rows' partitions and offsets are positions in: the Kafka cluster's id and the topic's
      -- id. A topic made again, or another cluster, starts its offsets at 0 under the same name.
      CREATE TABLE history_log (
        topic text PRIMARY KEY,
        log_id text NOT NULL
      );
    `,
  },
  {
    name: "004_reactions",
    sql: `
      -- Each message's reactions as the stream processor last counted them (its result topic): the counts
      -- the API shows, and who gave each, for the reader's own.
      CREATE TABLE message_reactions (
        message_id uuid PRIMARY KEY,
        board text NOT NULL,
        counts jsonb NOT NULL,
        given jsonb NOT NULL
      );
    `,
  },
];

// Any number of processes may start at once; one applies the steps while the others wait for it.
const MIGRATION_LOCK = 7_340_104;

/** Applies the steps not yet applied; resolves with their names. */
export async function migrate(database: Database): Promise<string[]> {
  return inTransaction(database, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await client.query<{ name: string }>("SELECT name FROM schema_migrations");
    const done = new Set(rows.map((row) => row.name));
    const applied: string[] = [];
    for (const step of MIGRATIONS.filter((migration) => !done.has(migration.name))) {
      await client.query(step.sql);
      await client.query("INSERT INTO schema_migrations (name) VALUES ($1)", [step.name]);
      applied.push(step.name);
    }
    return applied;
  });
}
