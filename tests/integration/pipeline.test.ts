// Produce -> Kafka -> consumer -> Redis list + Pub/Sub, on the real broker and redis-server.
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import type { Redis } from "ioredis";
import type { ISocketFactory, KafkaMessage } from "kafkajs";
import { createKafka } from "../../src/lib/kafka/client";
import { readLogIdentity } from "../../src/lib/kafka/log-identity";
import { decodeRecord } from "../../src/lib/kafka/record";
import { startBoardConsumer, type BoardConsumer } from "../../src/lib/consumer/board-consumer";
import { createConsumerMetrics, type ConsumerMetrics } from "../../src/lib/consumer/metrics";
import { MessageProducer } from "../../src/lib/kafka/producer";
import { ensureTopic } from "../../src/lib/kafka/topics";
import type { Logger } from "../../src/lib/log";
import { createMessage } from "../../src/lib/messages/create";
import { boardEventSchema, type BoardEvent } from "../../src/lib/messages/schema";
import { readHistory } from "../../src/lib/store/message-store";
import { createRedis } from "../../src/lib/store/redis";
import { startRedisServer } from "../../scripts/stack/redis-server";
import { silentLog } from "../support/silent-log";
import { onFreePorts, readTopic, stack, testKafka, testRedis, uniqueNames, waitFor, type Names } from "../support/stack";

const kafka = testKafka();
const cleanup: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A log that remembers its lines, so a test can wait for the consumer to say something. */
function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string) => void lines.push(message);
  const log: Logger & { lines: string[] } = { lines, debug: record, info: record, warn: record, error: record, child: () => log };
  return log;
}

async function consumerFor(names: Names, redis: Redis, log: Logger = recordingLog(), metrics?: ConsumerMetrics): Promise<BoardConsumer> {
  const consumer = await startBoardConsumer({
    kafka,
    redis,
    identify: (topic) => readLogIdentity(stack.brokers, topic),
    keys: names.keys,
    topic: names.topic,
    boardsTopic: names.boardsTopic,
    deadLetterTopic: names.deadLetterTopic,
    groupId: names.group,
    limits: { history: 100, dedupeWindow: 1000 },
    log,
    metrics,
  });
  cleanup.push(() => consumer.stop());
  return consumer;
}

async function newBoard(label: string) {
  const names = uniqueNames(label);
  await ensureTopic(kafka, names.topic, 3);
  await ensureTopic(kafka, names.deadLetterTopic, 1);
  await ensureTopic(kafka, names.boardsTopic, 1);
  const producer = new MessageProducer(kafka, names.topic);
  cleanup.push(() => producer.disconnect());
  return { names, producer };
}

/** Everything published on the board's channel from now on. */
async function listen(names: Names): Promise<BoardEvent[]> {
  const subscriber = testRedis();
  cleanup.push(() => subscriber.disconnect());
  const events: BoardEvent[] = [];
  subscriber.on("message", (_channel: string, payload: string) => events.push(boardEventSchema.parse(JSON.parse(payload))));
  await subscriber.subscribe(names.channel);
  return events;
}

async function committedOffset(groupId: string, topic: string, partition: number): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions.find((entry) => entry.partition === partition)?.offset ?? "-1";
  } finally {
    await admin.disconnect();
  }
}

test("a produced message is stored in the list and published, in the order the broker accepted it", async () => {
  const { names, producer } = await newBoard("flow");
  const redis = testRedis();
  cleanup.push(() => redis.disconnect());
  const events = await listen(names);
  await consumerFor(names, redis);

  const sent = [];
  for (const text of ["first", "second", "third"]) sent.push(createMessage({ text, author: "Ann" }, "main"));
  const acks = [];
  for (const message of sent) acks.push(await producer.publish(message));
  assert.equal(new Set(acks.map((ack) => ack.partition)).size, 1, "one board, one partition");

  const history = await waitFor("three stored messages", async () => {
    const current = await readHistory(redis, names.keys, "main", 100);
    return current.messages.length === 3 && current;
  });
  assert.deepEqual(
    history.messages.map((message) => [message.text, message.seq, message.offset]),
    [
      ["third", 3, acks[2]?.offset],
      ["second", 2, acks[1]?.offset],
      ["first", 1, acks[0]?.offset],
    ],
  );
  await waitFor("three published events", () => events.length === 3);
  assert.deepEqual(
    events.map((event) => event.message.id),
    sent.map((message) => message.id),
  );
  assert.ok(events.every((event) => event.epoch === history.epoch));
});

test("reading the whole topic again leaves the store exactly as it was and publishes nothing", async () => {
  const { names, producer } = await newBoard("replay");
  const redis = testRedis();
  cleanup.push(() => redis.disconnect());
  const first = await consumerFor(names, redis);
  const acks = [];
  for (let i = 1; i <= 5; i++) acks.push(await producer.publish(createMessage({ text: `m${i}` }, "main")));
  const partition = acks[0]?.partition ?? -1;
  await waitFor("five stored messages", async () => (await redis.llen(names.list)) === 5);
  await first.stop();
  const before = await redis.lrange(names.list, 0, -1);

  // A new group starts from the beginning of the topic: every record is delivered a second time.
  const events = await listen(names);
  const replayGroup = { ...names, group: `${names.group}-replay` };
  await consumerFor(replayGroup, redis);
  await waitFor("the replay to commit past the last record", async () => (await committedOffset(replayGroup.group, names.topic, partition)) === "5");

  assert.deepEqual(await redis.lrange(names.list, 0, -1), before);
  assert.equal(events.length, 0);
});

test("records that are not messages go to the dead-letter topic, with why and where from, and the consumer goes on", async () => {
  const { names, producer } = await newBoard("poison");
  const redis = testRedis();
  cleanup.push(() => redis.disconnect());
  await consumerFor(names, redis);

  const raw = kafka.producer();
  await raw.connect();
  cleanup.push(() => raw.disconnect());
  const poison = [Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.from(JSON.stringify({ text: "no id, no time" })), Buffer.from("<script>alert(1)</script>")];
  const [sent] = await raw.send({ topic: names.topic, messages: poison.map((value) => ({ key: "main", value, headers: { origin: "test" } })) });
  await producer.publish(createMessage({ text: "still here" }, "main"));

  await waitFor("the valid message", async () => (await redis.llen(names.list)) === 1);
  const { messages } = await readHistory(redis, names.keys, "main", 100);
  assert.deepEqual(
    messages.map((message) => message.text),
    ["still here"],
  );

  const dead = await readTopic(names.deadLetterTopic, 3);
  assert.deepEqual(
    dead.map((record) => record.value),
    poison,
    "the records as they were",
  );
  const header = (record: KafkaMessage, name: string) => record.headers?.[name]?.toString();
  assert.deepEqual(
    dead.map((record) => [header(record, "dlq.topic"), header(record, "dlq.partition"), header(record, "dlq.offset"), header(record, "origin")]),
    [0, 1, 2].map((i) => [names.topic, String(sent?.partition), String(Number(sent?.baseOffset) + i), "test"]),
  );
  assert.deepEqual(
    dead.map((record) => header(record, "dlq.reason")?.split(":")[0]),
    ["not UTF-8", "not a message", "not JSON"],
  );
});

test("a message that reaches the topic twice (a retried post) is stored and published once", async () => {
  const { names, producer } = await newBoard("retried");
  const redis = testRedis();
  cleanup.push(() => redis.disconnect());
  const events = await listen(names);
  await consumerFor(names, redis);

  const message = createMessage({ text: "once" }, "main");
  await producer.publish(message);
  await producer.publish({ ...message });
  await producer.publish(createMessage({ text: "after" }, "main"));

  await waitFor("the next message", async () => (await readHistory(redis, names.keys, "main", 100)).messages.some((stored) => stored.text === "after"));
  const { messages } = await readHistory(redis, names.keys, "main", 100);
  assert.deepEqual(
    messages.map((stored) => [stored.text, stored.seq]),
    [
      ["after", 2],
      ["once", 1],
    ],
  );
  await waitFor("two events", () => events.length === 2);
  assert.deepEqual(
    events.map((event) => ("text" in event.message ? event.message.text : event.message.kind)),
    ["once", "after"],
  );
});

test("offsets are committed only after Redis has the messages; a Redis outage delays, never loses", async () => {
  const { names, producer } = await newBoard("outage");
  const dataDir = path.join(stack.workDir, `redis-${names.group}`);
  const output = { file: path.join(stack.workDir, `redis-${names.group}.log`) };
  let redisServer = await onFreePorts(1, ([port = 0]) => startRedisServer({ port, dataDir, output }));
  cleanup.push(() => redisServer.stop());
  const port = Number(new URL(redisServer.url).port);
  const redis = createRedis(redisServer.url, "outage-test");
  redis.on("error", () => {});
  cleanup.push(() => redis.disconnect());
  const log = recordingLog();
  await consumerFor(names, redis, log);

  const { partition } = await producer.publish(createMessage({ text: "before" }, "main"));
  await waitFor("the first message to be committed", async () => (await committedOffset(names.group, names.topic, partition)) === "1");

  await redisServer.stop();
  await producer.publish(createMessage({ text: "during" }, "main"));
  await waitFor("the consumer to retry its write", () => log.lines.includes("Redis write failed; retrying"));
  assert.equal(await committedOffset(names.group, names.topic, partition), "1", "nothing committed that is not stored");

  redisServer = await startRedisServer({ port, dataDir, output });
  await waitFor("the held message to be committed", async () => (await committedOffset(names.group, names.topic, partition)) === "2", {
    timeoutMs: 20_000,
  });
  const { messages } = await readHistory(redis, names.keys, "main", 100);
  assert.deepEqual(
    messages.map((message) => message.text),
    ["during", "before"],
  );
});

/** Counts its sends: each is one produce request, for one partition on the one broker. */
class CountingProducer extends MessageProducer {
  requests = 0;
  override send(...args: Parameters<MessageProducer["send"]>) {
    this.requests++;
    return super.send(...args);
  }
}

test("posts made at once share the broker's round trips: the first goes alone, the rest in one produce request", async (t) => {
  const { names } = await newBoard("coalesced");
  const producer = new CountingProducer(kafka, names.topic);
  cleanup.push(() => producer.disconnect());
  await producer.connect();
  const redis = testRedis();
  cleanup.push(() => redis.disconnect());
  await consumerFor(names, redis);

  const messages = Array.from({ length: 200 }, (_, i) => createMessage({ text: `together ${i}` }, "main"));
  const acks = await Promise.all(messages.map((message) => producer.publish(message)));
  t.diagnostic(`${messages.length} posts in ${producer.requests} produce requests`);
  assert.equal(producer.requests, 2, "the first post alone, the 199 that arrived while it was in flight together");
  const first = Number(acks[0]?.offset);
  assert.deepEqual(
    acks.map((ack) => Number(ack.offset) - first),
    acks.map((_, i) => i),
    "each acknowledged with its own offset, in the order made",
  );
  await waitFor("the newest stored", async () => (await readHistory(redis, names.keys, "main", 1)).messages[0]?.id === messages.at(-1)?.id);
  const { messages: stored } = await readHistory(redis, names.keys, "main", 100);
  assert.deepEqual(
    stored.map((message) => message.id),
    messages
      .slice(100)
      .map((message) => message.id)
      .reverse(),
  );
});

test("posts to two boards made at once still share round trips: one produce request per board, each board in order", async () => {
  const { names } = await newBoard("two-boards");
  const producer = new CountingProducer(kafka, names.topic);
  cleanup.push(() => producer.disconnect());
  await producer.connect();

  // Interleaved, as posts from many people to several boards arrive.
  const messages = Array.from({ length: 200 }, (_, i) => createMessage({ text: `board ${i % 2} post ${i}` }, i % 2 === 0 ? "main" : "second"));
  const acks = await Promise.all(messages.map((message) => producer.publish(message)));
  assert.equal(producer.requests, 3, "the first post alone, then each board's waiting posts in one request");
  for (const board of ["main", "second"]) {
    const offsets = acks.filter((_, i) => messages[i]!.board === board).map((ack) => BigInt(ack.offset));
    assert.ok(
      offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!),
      `${board}: each post after the one made before it`,
    );
  }
});

// The first two bytes after a request's size are its API key; Produce is 0.
const PRODUCE = 0;

/**
 * Connections to the real broker that, while `losing` is set, drop the broker's answer to a produce request
 * and close: the broker has written the records, and the client never hears so.
 */
function answerLosingConnections(): { socketFactory: ISocketFactory; faults: { losing: boolean } } {
  const faults = { losing: false };
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    let produced = false;
    const write = socket.write.bind(socket);
    socket.write = (chunk: string | Uint8Array, ...rest: never[]) => {
      if (Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === PRODUCE) produced = true;
      return write(chunk, ...rest);
    };
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event !== "data" || !faults.losing || !produced) return emit(event, ...args);
      // As the network would end it: an error the client sees, not a quiet close.
      socket.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
      return true;
    }) as typeof socket.emit;
    return socket;
  };
  return { socketFactory, faults };
}

test("a post whose answer from the broker was lost does not make the next one vanish: each acknowledged post is in the log", async () => {
  const { names } = await newBoard("lost-answer");
  const { socketFactory, faults } = answerLosingConnections();
  const producer = new MessageProducer(createKafka(stack.brokers, "lost-answer", silentLog, { socketFactory }), names.topic);
  cleanup.push(() => producer.disconnect());
  const [before, unanswered, after] = ["before", "unanswered", "after"].map((text) => createMessage({ text }, "main"));

  await producer.publish(before!);
  faults.losing = true;
  await assert.rejects(producer.publish(unanswered!), { name: "KafkaUnavailableError" });
  faults.losing = false;
  // The same number of records as the batch the broker wrote but never confirmed.
  const acknowledged = await producer.publish(after!);

  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(names.topic).finally(() => admin.disconnect());
  const records = await readTopic(
    names.topic,
    ends.reduce((sum, { high }) => sum + Number(high), 0),
  );
  const ids = records.map((record) => {
    const decoded = decodeRecord(record.value);
    return decoded.ok ? (decoded.message ?? decoded.change).id : decoded.reason;
  });
  assert.deepEqual(ids, [before!.id, unanswered!.id, after!.id], "the unanswered post was written; the one after it too");
  assert.equal(records[2]?.offset, acknowledged.offset, "acknowledged with its own offset");
});

test("each consumer of a group reports the lag of the partitions it holds, and only those: a rebalance takes the others off", async () => {
  const { names, producer } = await newBoard("lag");
  const redis = testRedis();
  cleanup.push(() => redis.disconnect());
  const metrics = [createConsumerMetrics(), createConsumerMetrics()] as const;
  const reported = async (consumer: ConsumerMetrics) => (await consumer.lag.get()).values.map((value) => Number(value.labels.partition)).sort();
  // Boards spread over the partitions: posts to enough of them reach all three.
  const postEverywhere = async () => {
    const reached = new Set<number>();
    for (let board = 0; reached.size < 3 && board < 100; board++)
      reached.add((await producer.publish(createMessage({ text: "lag" }, `board-${board}`))).partition);
    assert.equal(reached.size, 3);
  };

  await consumerFor(names, redis, recordingLog(), metrics[0]);
  await postEverywhere();
  await waitFor("the only consumer to report every partition", async () => (await reported(metrics[0])).length === 3);
  await consumerFor(names, redis, recordingLog(), metrics[1]);
  const [first, second] = await waitFor("each consumer to report the partitions it holds now", async () => {
    await postEverywhere();
    const held = [await reported(metrics[0]), await reported(metrics[1])] as const;
    return held[1].length > 0 && held[0].length + held[1].length === 3 && held;
  });
  assert.deepEqual([...first, ...second].sort(), [0, 1, 2], "every partition reported once, by the consumer that holds it");
});
