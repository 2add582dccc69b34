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
  {
    name: "005_people",
    sql: `
      -- Who wrote a message, when the web app could vouch for it (a signed-in account), and its last edit.
      ALTER TABLE messages ADD COLUMN account_id text, ADD COLUMN account_name text, ADD COLUMN edited_at timestamptz;
      -- Deleted messages are out of every read; kept here so that a later copy of one on the log stays out.
      CREATE TABLE deleted_messages (
        id uuid PRIMARY KEY,
        board text NOT NULL,
        deleted_at timestamptz NOT NULL,
        deleted_by text NOT NULL
      );
    `,
  },
  {
    name: "006_accounts",
    sql: `
      -- Better Auth's tables, as its schema for PostgreSQL has them (src/lib/accounts/auth.ts names them).
      CREATE TABLE auth_users (
        "id" text PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE, "emailVerified" boolean NOT NULL,
        "image" text, "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
      );
      -- A name on the board stands for one account, whatever its case.
      CREATE UNIQUE INDEX auth_users_name ON auth_users (lower("name"));
      CREATE TABLE auth_sessions (
        "id" text PRIMARY KEY, "expiresAt" timestamptz NOT NULL, "token" text NOT NULL UNIQUE,
        "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamptz NOT NULL, "ipAddress" text, "userAgent" text,
        "userId" text NOT NULL REFERENCES auth_users ("id") ON DELETE CASCADE
      );
      CREATE INDEX auth_sessions_user ON auth_sessions ("userId");
      CREATE TABLE auth_accounts (
        "id" text PRIMARY KEY, "accountId" text NOT NULL, "providerId" text NOT NULL,
        "userId" text NOT NULL REFERENCES auth_users ("id") ON DELETE CASCADE,
        "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz,
        "scope" text, "password" text, "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamptz NOT NULL
      );
      CREATE INDEX auth_accounts_user ON auth_accounts ("userId");
      CREATE TABLE auth_verifications (
        "id" text PRIMARY KEY, "identifier" text NOT NULL, "value" text NOT NULL, "expiresAt" timestamptz NOT NULL,
        "createdAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
      );
      CREATE INDEX auth_verifications_identifier ON auth_verifications ("identifier");
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
