// PostgreSQL for the tests: a database of its own per test on the run's server, and what history holds.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { stack, testKafka, waitFor, type Cleanup } from "./stack";

/** A database of its own on the test run's PostgreSQL server. */
export async function freshDatabase(label: string, serverUrl = stack.databaseUrl): Promise<string> {
  const name = `history_${label.replace(/\W/g, "_")}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function client(cleanup: Cleanup, url: string): pg.Pool {
  const pool = cleanup.add(new pg.Pool({ connectionString: url, max: 2 }), (opened) => opened.end());
  pool.on("error", () => {});
  return pool;
}

export type Row = { id: string; board: string; author: string; text: string; created_at: Date; appended_at: Date; partition: number; offset: string };

/** Every row, in the board's order. */
export async function rows(database: pg.Pool): Promise<Row[]> {
  const result = await database.query<Row>('SELECT * FROM messages ORDER BY board, appended_at, partition, "offset"');
  return result.rows;
}

export async function count(database: pg.Pool): Promise<number> {
  const result = await database.query<{ count: string }>("SELECT count(*) FROM messages").catch(() => ({ rows: [{ count: "0" }] }));
  return Number(result.rows[0]?.count ?? 0);
}

export const historyOf = (database: pg.Pool, expected: number, what = `${expected} messages in history`) =>
  waitFor(what, async () => (await count(database)) >= expected && rows(database), { timeoutMs: 90_000, intervalMs: 200 });

/** How many records of `topic` the group has read and committed. */
export async function committed(topic: string, groupId: string): Promise<number> {
  const admin = testKafka("history-tests").admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
