// Lasting history: a second consumer group writes every message into PostgreSQL exactly once, through a
// consumer crash, a full replay, PostgreSQL itself crashing, and a rebuild from the log. Real consumer and
// web processes, the real broker and a real PostgreSQL server.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { startPostgresServer } from "../../scripts/stack/postgres-server";
import { startProcess, runToEnd } from "../../scripts/stack/processes";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { range, seconds } from "../support/audit";
import { cleanupList, onFreePorts, postAccepted, postMessage, stack, startApps, startConsumerProcess, testKafka, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

/** A database of its own on the test run's PostgreSQL server. */
async function freshDatabase(label: string, serverUrl = stack.databaseUrl): Promise<string> {
  const name = `history_${label.replace(/\W/g, "_")}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function client(url: string): pg.Pool {
  const pool = cleanup.add(new pg.Pool({ connectionString: url, max: 2 }), (opened) => opened.end());
  pool.on("error", () => {});
  return pool;
}

type Row = { id: string; board: string; author: string; text: string; created_at: Date; appended_at: Date; partition: number; offset: string };

/** Every row, in the board's order. */
async function rows(database: pg.Pool): Promise<Row[]> {
  const result = await database.query<Row>('SELECT * FROM messages ORDER BY board, appended_at, partition, "offset"');
  return result.rows;
}

async function count(database: pg.Pool): Promise<number> {
  const result = await database.query<{ count: string }>("SELECT count(*) FROM messages").catch(() => ({ rows: [{ count: "0" }] }));
  return Number(result.rows[0]?.count ?? 0);
}

const historyOf = (database: pg.Pool, expected: number, what = `${expected} messages in history`) =>
  waitFor(what, async () => (await count(database)) >= expected && rows(database), { timeoutMs: 90_000, intervalMs: 200 });

/** How many records of `topic` the group has read and committed. */
async function committed(topic: string, groupId: string): Promise<number> {
  const admin = testKafka("history-tests").admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Ids that appear more than once, and ids sent that are missing. */
function compare(stored: readonly Row[], sent: readonly string[]) {
  const ids = stored.map((row) => row.id);
  const seen = new Set(ids);
  return { missing: sent.filter((id) => !seen.has(id)).length, duplicated: ids.length - seen.size };
}

test("every message reaches PostgreSQL once, in the board's order, through a consumer crash and a full replay", async (t) => {
  const databaseUrl = await freshDatabase("once");
  const database = client(databaseUrl);
  const { names, env, consumer, web } = await startApps(cleanup, "history", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;

  // A post retried under the same id is one message.
  const retried = randomUUID();
  for (const _ of range(2)) assert.equal((await postMessage(url, { id: retried, text: "sent twice" })).status, 201);
  const sent: string[] = [retried];
  for (const i of range(300)) {
    sent.push(await postAccepted(url, `message ${i}`));
    if (i === 100) await waitFor("history to begin", async () => (await count(database)) > 0);
    if (i === 150) await consumer.kill();
    if (i === 200) cleanup.add(await startConsumerProcess(env, "history-consumer-2"), (restarted) => restarted.stop());
  }
  const stored = await historyOf(database, sent.length);
  assert.deepEqual(compare(stored, sent), { missing: 0, duplicated: 0 });
  assert.equal(stored.length, sent.length);
  // One board, one key, one partition: the board's order is the order the page sent them in.
  assert.deepEqual(
    stored.map((row) => row.id),
    sent,
  );

  // A new group reads the whole log again into the same database: nothing changes.
  const before = await rows(database);
  const replay = cleanup.add(await startConsumerProcess({ ...env, HISTORY_CONSUMER_GROUP: `${names.historyGroup}-replay` }, "history-replay"), (started) =>
    started.stop(),
  );
  await replay.waitForLine(/history consumer started/, "that history started");
  // The retried post is two records.
  await waitFor("the replay to read to the end of the log", async () => (await committed(names.topic, `${names.historyGroup}-replay`)) >= sent.length + 1);
  assert.deepEqual(await rows(database), before);
  t.diagnostic(`${stored.length} messages, 0 missing, 0 twice, after a kill -9 of the consumer and a replay of the whole log`);
});

test("PostgreSQL killed with kill -9 and restarted while posts flow: each message stored once", async (t) => {
  const dataDir = path.join(stack.workDir, "postgres-crash");
  const start = (port: number) => startPostgresServer({ port, dataDir, output: { file: `${dataDir}.log` } });
  const first = cleanup.add(await onFreePorts(1, ([port = 0]) => start(port)), (server) => server.stop());
  const databaseUrl = await freshDatabase("crash", first.url);
  const { web } = await startApps(cleanup, "pg-crash", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const database = client(databaseUrl);

  const sent: string[] = [];
  const posting = (async () => {
    for (const i of range(600)) sent.push(await postAccepted(url, `message ${i}`));
  })();
  await waitFor("history to have 100 messages", async () => (await count(database)) >= 100);
  const killedAt = performance.now();
  const atKill = sent.length;
  await first.kill();
  cleanup.add(await start(Number(new URL(first.url).port)), (server) => server.stop());
  const restartedAfter = performance.now() - killedAt;
  await posting;
  const stored = await historyOf(database, sent.length);
  assert.deepEqual(compare(stored, sent), { missing: 0, duplicated: 0 });
  assert.equal(stored.length, sent.length);
  t.diagnostic(
    `killed after ${atKill} posts, up again ${seconds(restartedAfter)} later; all ${sent.length} in history, once each, ${seconds(performance.now() - killedAt)} after the kill`,
  );
});

test("PostgreSQL emptied and rebuilt from the log with npm run rebuild: the same rows, and the board stays up", async (t) => {
  const databaseUrl = await freshDatabase("rebuild");
  const database = client(databaseUrl);
  const { env, web } = await startApps(cleanup, "rebuild", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const sent: string[] = [];
  for (const i of range(200)) sent.push(await postAccepted(url, `before ${i}`));
  const before = await historyOf(database, sent.length);

  const rebuild = startProcess("rebuild", "npm", ["run", "rebuild", "--", "postgres"], {
    cwd: PROJECT_ROOT,
    env: { ...env, LOG_FORMAT: "json" },
    output: { file: path.join(stack.workDir, "rebuild.log") },
  });
  cleanup.add(rebuild, (started) => started.stop());
  // Posting goes on during the rebuild.
  assert.equal((await postMessage(url, { text: "during the rebuild" })).status, 201);
  await runToEnd(rebuild);
  const done = /done in ([\d.]+) s/.exec(rebuild.recentOutput());
  assert.ok(done, rebuild.recentOutput());
  const after = await historyOf(database, sent.length + 1);
  assert.deepEqual(after.slice(0, before.length), before);
  assert.equal(after.length, before.length + 1);
  t.diagnostic(`rebuilt ${after.length} messages from the log in ${done[1]} s; every row as it was before`);
});
