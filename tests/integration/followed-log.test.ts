// Which log a view follows, against the real broker, Redis and PostgreSQL: Kafka's ids for a log, and each
// view refusing records of another log and moving to a new one in one step.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { createDatabase } from "../../src/lib/history/database";
import { followHistoryLog, historyLog, writeHistory } from "../../src/lib/history/message-history";
import { migrate } from "../../src/lib/history/migrations";
import { readLogIdentity, UnknownTopic } from "../../src/lib/kafka/log-identity";
import { ensureTopic } from "../../src/lib/kafka/topics";
import { createMessage } from "../../src/lib/messages/create";
import { registerBoards } from "../../src/lib/store/board-list";
import { followLog, readRebuildNotices, rebuildNotices, storeDataKeys } from "../../src/lib/store/followed-log";
import { appendRecords, readHistory, seedStore } from "../../src/lib/store/message-store";
import { freshDatabase } from "../support/postgres";
import { silentLog } from "../support/silent-log";
import { stack, testKafka, testRedis, uniqueNames, waitFor } from "../support/stack";

const redis = testRedis();
const kafka = testKafka("followed-log-tests");
const admin = kafka.admin();
after(async () => {
  redis.disconnect();
  await admin.disconnect();
});

test("kafkajs sees no topic id; the board's own Metadata request does, and a topic made again has a new one", async () => {
  const { topic } = uniqueNames("identity");
  await ensureTopic(kafka, topic, 3);
  await admin.connect();
  // kafkajs asks Metadata v6 at most: its answer has names and partitions, and nothing that tells two
  // creations of a topic apart.
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.deepEqual(Object.keys(topics[0] ?? {}).sort(), ["name", "partitions"]);

  const first = await readLogIdentity(stack.brokers, topic);
  assert.equal(first.clusterId, (await admin.describeCluster()).clusterId);
  assert.match(first.topicId, /^[\w-]{22}$/);
  assert.deepEqual(await readLogIdentity(stack.brokers, topic), first, "the same log, asked again");

  await admin.deleteTopics({ topics: [topic] });
  await waitFor("the topic to be gone", async () => !(await admin.listTopics()).includes(topic));
  await assert.rejects(readLogIdentity(stack.brokers, topic), UnknownTopic);
  await ensureTopic(kafka, topic, 3);
  const second = await readLogIdentity(stack.brokers, topic);
  assert.equal(second.clusterId, first.clusterId);
  assert.notEqual(second.topicId, first.topicId);
  // An address that refuses is passed over for the next.
  assert.deepEqual(await readLogIdentity(["127.0.0.1:1", ...stack.brokers], topic), second);
});

const LOG_A = "cluster-a/topic-1";
const LOG_B = "cluster-b/topic-2";

test("the Redis store takes records only of the log it follows, and moves to another in one step", async () => {
  const { keys, topic } = uniqueNames("store-log");
  const limits = { history: 100, dedupeWindow: 100 };
  const record = (offset: string) => ({ partition: 0, offset, entry: createMessage({ text: `at ${offset}` }, "main") });
  assert.equal(await seedStore(redis, keys, limits, topic, [], { log: LOG_A, nextOffsets: new Map([[0, "0"]]) }), "refilled");
  assert.equal(await redis.get(keys.log), LOG_A);

  assert.deepEqual(await appendRecords(redis, keys, limits, topic, 0, { first: "0", last: "0", log: LOG_B }, [record("0")]), { refused: "other-log" });
  assert.deepEqual(await appendRecords(redis, keys, limits, topic, 0, { first: "0", last: "0", log: LOG_A }, [record("0")]), { stored: 1 });
  assert.equal((await readHistory(redis, keys, "main", 10)).messages.length, 1);

  // Moving on clears what was read from the other log; a second consumer that found the same finds it done.
  const drop = storeDataKeys(keys, ["main"]);
  assert.equal(await followLog(redis, keys.log, drop, LOG_A, LOG_B), true);
  assert.equal(await followLog(redis, keys.log, drop, LOG_A, LOG_B), false);
  assert.equal(await redis.get(keys.log), LOG_B);
  assert.deepEqual(await readHistory(redis, keys, "main", 10), { epoch: null, messages: [] });
  assert.deepEqual(await redis.exists(...drop), 0);
  // Refilled only with positions of the log it follows now.
  assert.equal(await seedStore(redis, keys, limits, topic, [], { log: LOG_A, nextOffsets: new Map([[0, "0"]]) }), "other-log");
  assert.equal(await seedStore(redis, keys, limits, topic, [], { log: LOG_B, nextOffsets: new Map([[0, "0"]]) }), "refilled");

  // The list of boards the same way, on a key of its own.
  const board = { id: randomUUID(), slug: "side", name: "Side", createdAt: new Date().toISOString() };
  assert.equal(await registerBoards(redis, keys, { first: "0", last: "0", log: LOG_A }, [{ offset: "0", board }]), "other-log");
  assert.equal(await followLog(redis, keys.boardsLog, [], null, LOG_A), true);
  assert.equal(await registerBoards(redis, keys, { first: "0", last: "0", log: LOG_A }, [{ offset: "0", board }]), 1);
});

test("a rebuild's notice is read while it is renewed, and not after it lapses or is cleared", async () => {
  const { keys } = uniqueNames("notices");
  const notices = rebuildNotices(redis, keys);
  await notices.set("store", "the Redis store is being rebuilt", 60_000);
  await notices.set("history", "history is being rebuilt", 1);
  await waitFor("the short notice to lapse", async () => (await readRebuildNotices(redis, keys)).length === 1);
  assert.deepEqual(await readRebuildNotices(redis, keys), ["the Redis store is being rebuilt"]);
  await notices.clear("store");
  assert.deepEqual(await readRebuildNotices(redis, keys), []);
});

test("history takes records only of the log it follows, and moving to another clears it in one transaction", async () => {
  const database = createDatabase(await freshDatabase("history-log"), "followed-log-tests", silentLog);
  try {
    await migrate(database);
    const topic = "board";
    const records = [0, 1].map((offset) => ({ offset: String(offset), message: createMessage({ text: `at ${offset}` }, "main"), appendedAt: Date.now() }));
    const from = (log: string) => ({ log, logStart: async () => "0" });
    assert.equal(await historyLog(database, topic), null);
    assert.deepEqual(await writeHistory(database, topic, 0, records, from(LOG_A)), { otherLog: true }, "history that records no log takes none");
    assert.equal(await followHistoryLog(database, topic, null, LOG_A, false), true);
    assert.deepEqual(await writeHistory(database, topic, 0, records, from(LOG_B)), { otherLog: true });
    assert.deepEqual(await writeHistory(database, topic, 0, records, from(LOG_A)), { stored: 2 });

    assert.equal(await followHistoryLog(database, topic, LOG_A, LOG_B, true), true);
    assert.equal(await followHistoryLog(database, topic, LOG_A, LOG_B, true), false, "another consumer did it first");
    assert.equal(await historyLog(database, topic), LOG_B);
    const left = await database.query<{ messages: string; offsets: string }>(
      "SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM history_offsets) AS offsets",
    );
    assert.deepEqual(left.rows[0], { messages: "0", offsets: "0" });
    const again = records.map((record) => ({ ...record, message: { ...record.message, id: randomUUID() } }));
    assert.deepEqual(await writeHistory(database, topic, 0, again, from(LOG_B)), { stored: 2 });
  } finally {
    await database.end();
  }
});
