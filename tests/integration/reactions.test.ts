// The processor's results as the live page's view reads them, on the real broker and redis-server: only
// committed transactions reach Redis and the viewers, and a Redis that lost them is filled again.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { historyResults, redisResults, startResultsConsumer } from "../../src/lib/consumer/results-consumer";
import { ensureReactionTopics } from "../../src/lib/kafka/topics";
import type { MessageReactions } from "../../src/lib/messages/reactions";
import { readReactions, resultsAppliedUpTo } from "../../src/lib/store/reactions";
import { silentLog } from "../support/silent-log";
import { appEnv, testKafka, testRedis, uniqueNames, waitFor } from "../support/stack";
import { configSchema } from "../../src/lib/config";
import { createDatabase } from "../../src/lib/history/database";
import { migrate } from "../../src/lib/history/migrations";
import { reactionsOf } from "../../src/lib/history/reaction-history";
import { freshDatabase } from "../support/postgres";

const names = uniqueNames("results");
const config = configSchema.parse(appEnv(names));
const redis = testRedis();
const listener = testRedis();
const kafka = testKafka();
const stops: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  redis.disconnect();
  listener.disconnect();
});

const result = (given: MessageReactions["given"]): MessageReactions => ({ message: randomUUID(), board: "main", given });
const record = (reactions: MessageReactions) => ({ key: reactions.message, value: JSON.stringify(reactions) });

test("a read-committed view never sees an aborted result, and a Redis that lost the results reads them again", async () => {
  await ensureReactionTopics(kafka, config);
  const producer = kafka.producer({ transactionalId: `test-${randomUUID()}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  stops.push(() => producer.disconnect());
  const announced: string[] = [];
  listener.on("message", (_channel: string, payload: string) => announced.push(payload));
  await listener.subscribe(names.keys.reactionsChannel);

  const [aborted, committed, later] = [
    result({ "👍": ["reader-aaaaaaaaaaaaaaaa"] }),
    result({ "🎉": ["reader-bbbbbbbbbbbbbbbb"] }),
    result({ "❤️": ["reader-cccccccccccccccc"] }),
  ];
  const abortedTransaction = await producer.transaction();
  await abortedTransaction.send({ topic: config.KAFKA_REACTION_COUNTS_TOPIC, messages: [record(aborted)] });
  await abortedTransaction.abort();
  const committedTransaction = await producer.transaction();
  await committedTransaction.send({ topic: config.KAFKA_REACTION_COUNTS_TOPIC, messages: [record(committed)] });
  await committedTransaction.commit();

  const view = await startResultsConsumer({
    kafka,
    view: redisResults(redis, names.keys),
    topics: { reactions: config.KAFKA_REACTION_COUNTS_TOPIC, activity: config.KAFKA_ACTIVITY_TOPIC },
    groupId: config.RESULTS_CONSUMER_GROUP,
    log: silentLog,
  });
  stops.push(() => view.stop());
  const countsOf = async (message: string) => (await readReactions(redis, names.keys, [message])).get(message)?.reactions;
  await waitFor("the committed result in Redis", async () => (await countsOf(committed.message))?.["🎉"] === 1);

  // Pending, then aborted, while the view reads: it waits at the open transaction and skips it.
  const open = await producer.transaction();
  await open.send({ topic: config.KAFKA_REACTION_COUNTS_TOPIC, messages: [record(aborted)] });
  const afterIt = await producer.transaction().catch(() => undefined);
  assert.equal(afterIt, undefined, "one transaction at a time per producer");
  await open.abort();
  const last = await producer.transaction();
  await last.send({ topic: config.KAFKA_REACTION_COUNTS_TOPIC, messages: [record(later)] });
  await last.commit();
  await waitFor("the later committed result in Redis", async () => (await countsOf(later.message))?.["❤️"] === 1);
  assert.equal(await countsOf(aborted.message), undefined, "the aborted result never reached Redis");
  await waitFor("both announcements", () => announced.length >= 2);
  assert.ok(!announced.some((payload) => payload.includes(aborted.message)), "nor any viewer");

  // A Redis that lost everything (FLUSHALL, a new server) is given the results again from the topic.
  await redis.del(names.keys.reactions, names.keys.results);
  await waitFor("the results read again", async () => (await countsOf(committed.message))?.["🎉"] === 1 && (await countsOf(later.message))?.["❤️"] === 1);
  assert.equal(await countsOf(aborted.message), undefined);

  // How far it has applied reaches the end of each partition, past the transactions' markers, so that a
  // rebuild can tell when it is done.
  const admin = kafka.admin();
  await admin.connect();
  stops.push(() => admin.disconnect());
  const ends = await admin.fetchTopicOffsets(config.KAFKA_REACTION_COUNTS_TOPIC);
  let applied: Map<number, string> | undefined;
  await waitFor("the applied offsets to reach the ends", async () => {
    applied = await resultsAppliedUpTo(redis, names.keys, config.KAFKA_REACTION_COUNTS_TOPIC);
    return ends.every(({ partition, high }) => high === "0" || applied?.get(partition) === high);
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}: ends ${JSON.stringify(ends)}, applied ${JSON.stringify([...(applied ?? [])])}`);
  });
});

test("history keeps each message's counts from the same result topic, the latest of each", async () => {
  const url = await freshDatabase("reactions");
  const database = createDatabase(url, "reactions-test", silentLog);
  stops.push(() => database.end());
  await migrate(database);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  stops.push(() => producer.disconnect());
  const first = result({ "👍": ["reader-aaaaaaaaaaaaaaaa", "reader-bbbbbbbbbbbbbbbb"] });
  const changed = { ...first, given: { "👍": ["reader-aaaaaaaaaaaaaaaa"], "🎉": ["reader-bbbbbbbbbbbbbbbb"] } };
  const cleared = result({ "❤️": ["reader-cccccccccccccccc"] });
  await producer.send({
    topic: config.KAFKA_REACTION_COUNTS_TOPIC,
    messages: [record(first), record(cleared), record(changed), record({ ...cleared, given: {} })],
  });
  const history = await startResultsConsumer({
    kafka,
    view: historyResults(database),
    topics: { reactions: config.KAFKA_REACTION_COUNTS_TOPIC, activity: config.KAFKA_ACTIVITY_TOPIC },
    groupId: config.HISTORY_RESULTS_GROUP,
    log: silentLog,
  });
  stops.push(() => history.stop());
  let found = new Map<string, unknown>();
  await waitFor("the latest counts in history", async () => {
    found = await reactionsOf(database, [first.message, cleared.message]);
    return JSON.stringify(found.get(first.message)) === JSON.stringify({ "👍": 1, "🎉": 1 });
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${JSON.stringify([...found])}`);
  });
  assert.equal(found.has(cleared.message), false, "a message whose reactions were all taken back has none");
});
