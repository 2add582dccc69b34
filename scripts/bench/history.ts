// The history benchmark: a log of many messages over many boards written into PostgreSQL by the history
// consumer (which is also what a rebuild does), then search and older pages on it, each beside the naive
// way: one INSERT per record in autocommit, LIKE '%word%', OFFSET pagination.
import pg from "pg";
import type { Kafka } from "kafkajs";
import { readLogIdentity } from "../../src/lib/kafka/log-identity";
import { startHistoryConsumer } from "../../src/lib/consumer/history-consumer";
import { createDatabase } from "../../src/lib/history/database";
import { findMessage, olderMessages, searchMessages } from "../../src/lib/history/history-reader";
import { migrate } from "../../src/lib/history/migrations";
import { ensureTopic } from "../../src/lib/kafka/topics";
import type { Logger } from "../../src/lib/log";
import { createMessage } from "../../src/lib/messages/create";
import { parseSearch } from "../../src/lib/messages/search-terms";
import { quantile } from "./measure";
import { waitFor } from "../stack/wait";

export type HistorySize = { messages: number; boards: number; naiveRecords: number; queries: number; naiveQueries: number };

// A fixed vocabulary with a few common words and a long tail, so that some searches match much and some little.
const COMMON = ["kafka", "redis", "board", "message", "consumer", "stream", "partition", "offset", "group", "latency"];
const TAIL = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`);

/** A small deterministic generator, so that every run searches the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function sentence(next: () => number): string {
  const words = Array.from({ length: 6 + Math.floor(next() * 10) }, () =>
    next() < 0.3 ? COMMON[Math.floor(next() * COMMON.length)]! : TAIL[Math.floor(next() * TAIL.length)]!,
  );
  return words.join(" ");
}

/** `count` messages over `boards` boards, each board its key, produced in batches of 1,000. */
export async function fillLog(kafka: Kafka, topic: string, count: number, boards: number, say: (line: string) => void) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const next = random(42);
  const started = performance.now();
  for (let i = 0; i < count; i += 1000) {
    const messages = Array.from({ length: Math.min(1000, count - i) }, () => {
      const board = `board-${Math.floor(next() * boards)}`;
      return { key: board, value: JSON.stringify(createMessage({ text: sentence(next), author: `user${Math.floor(next() * 500)}` }, board)) };
    });
    await producer.send({ topic, acks: -1, messages });
    if ((i / 1000) % 100 === 99) say(`  produced ${(i + 1000).toLocaleString("en")} of ${count.toLocaleString("en")}`);
  }
  await producer.disconnect();
  return (performance.now() - started) / 1000;
}

export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export async function benchHistory(options: {
  kafka: Kafka;
  brokers: string[];
  databaseUrl: string;
  size: HistorySize;
  log: Logger;
  say: (line: string) => void;
  id: string;
}) {
  const { kafka, size, log, say, id } = options;
  const topic = `${id}-history`;
  await ensureTopic(kafka, topic, 3, [{ name: "message.timestamp.type", value: "LogAppendTime" }]);
  say(`History: producing ${size.messages.toLocaleString("en")} messages over ${size.boards} boards…`);
  const produceSeconds = await fillLog(kafka, topic, size.messages, size.boards, say);

  // 1. The history consumer writes the whole log: the same work as `npm run rebuild -- postgres`.
  const databaseUrl = await freshDatabase(options.databaseUrl, `${id.replaceAll("-", "_")}_history`);
  const database = createDatabase(databaseUrl, "bench-history", log, 10);
  await migrate(database);
  const count = async () => Number((await database.query<{ sum: string | null }>("SELECT sum(next_offset) FROM history_offsets")).rows[0]?.sum ?? 0);
  say("History: the history consumer writes the log into PostgreSQL…");
  const started = performance.now();
  const identify = (of: string) => readLogIdentity(options.brokers, of);
  const consumer = await startHistoryConsumer({ kafka, database, databaseUrl, topic, groupId: `${id}-history`, identify, log });
  await waitFor("history to reach the end of the log", async () => (await count()) >= size.messages, { timeoutMs: 1_800_000, intervalMs: 200 });
  const writeSeconds = (performance.now() - started) / 1000;
  await consumer.stop();
  await database.query("VACUUM ANALYZE messages");

  // 2. The naive writer: one INSERT per record, in autocommit, for a slice of the same log.
  const naiveDatabase = createDatabase(await freshDatabase(options.databaseUrl, `${id.replaceAll("-", "_")}_naive`), "bench-naive", log, 2);
  await migrate(naiveDatabase);
  const rows = (
    await database.query<Record<string, unknown>>(`SELECT id, board, author, text, created_at, appended_at, partition, "offset" FROM messages LIMIT $1`, [
      size.naiveRecords,
    ])
  ).rows;
  say(`History: the naive writer inserts ${rows.length.toLocaleString("en")} records one by one…`);
  const naiveMs = await timed(async () => {
    for (const row of rows) {
      await naiveDatabase.query(
        `INSERT INTO messages (id, board, author, text, created_at, appended_at, partition, "offset") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        Object.values(row),
      );
    }
  });
  await naiveDatabase.end();

  // 3. Search and older pages, on every board's data, each query timed on its own.
  say(`History: ${size.queries} searches and ${size.queries} older pages…`);
  const next = random(7);
  const pickBoard = () => `board-${Math.floor(next() * size.boards)}`;
  const queries = () => {
    const kind = next();
    if (kind < 0.4) return TAIL[Math.floor(next() * TAIL.length)]!; // a rare word
    if (kind < 0.6) return TAIL[Math.floor(next() * TAIL.length)]!.slice(0, 3); // a prefix, as typed
    if (kind < 0.8) return `"${COMMON[Math.floor(next() * COMMON.length)]} ${COMMON[Math.floor(next() * COMMON.length)]}"`; // a phrase
    return `${COMMON[Math.floor(next() * COMMON.length)]} -${COMMON[Math.floor(next() * COMMON.length)]}`; // common, minus common
  };
  const searchTimes: number[] = [];
  for (let i = 0; i < size.queries; i++) {
    const text = queries();
    const board = next() < 0.5 ? pickBoard() : undefined;
    searchTimes.push(await timed(() => searchMessages(database, { terms: parseSearch(text), board, limit: 50 })));
  }
  const naiveSearchTimes: number[] = [];
  for (let i = 0; i < size.naiveQueries; i++) {
    const word = TAIL[Math.floor(next() * TAIL.length)]!;
    naiveSearchTimes.push(await timed(() => database.query(`SELECT * FROM messages WHERE text ILIKE $1 ORDER BY appended_at DESC LIMIT 50`, [`%${word}%`])));
  }

  // A random message of a board, and the page before it; naive: the same depth by OFFSET.
  const pageTimes: number[] = [];
  const naivePageTimes: number[] = [];
  for (let i = 0; i < size.queries; i++) {
    const board = pickBoard();
    const depth = Math.floor(next() * (size.messages / size.boards) * 0.9);
    const { rows: picked } = await database.query<{ id: string }>(
      `SELECT id FROM messages WHERE board = $1 ORDER BY appended_at DESC, partition DESC, "offset" DESC OFFSET $2 LIMIT 1`,
      [board, depth],
    );
    const before = picked[0] && (await findMessage(database, picked[0].id));
    if (!before) continue;
    pageTimes.push(await timed(() => olderMessages(database, board, before, 50)));
    if (i < size.naiveQueries) {
      naivePageTimes.push(
        await timed(() =>
          database.query(`SELECT * FROM messages WHERE board = $1 ORDER BY appended_at DESC, partition DESC, "offset" DESC OFFSET $2 LIMIT 50`, [board, depth]),
        ),
      );
    }
  }
  await database.end();

  const stats = (times: number[]) => ({ p50: quantile(times, 0.5), p95: quantile(times, 0.95), count: times.length });
  return {
    messages: size.messages,
    boards: size.boards,
    produceSeconds,
    writeSeconds,
    writePerSecond: size.messages / writeSeconds,
    naiveWritePerSecond: rows.length / (naiveMs / 1000),
    search: stats(searchTimes),
    naiveSearch: stats(naiveSearchTimes),
    olderPage: stats(pageTimes),
    naiveOlderPage: stats(naivePageTimes),
  };
}

export type HistoryFigures = Awaited<ReturnType<typeof benchHistory>>;
