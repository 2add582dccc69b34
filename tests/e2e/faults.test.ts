// The delivery guarantees, each proven by breaking something on purpose: real consumer and web processes,
// the real broker and redis-server. Each test reports its figures as diagnostics.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import type { Redis } from "ioredis";
import { ensureTopic } from "../../src/lib/kafka/topics";
import { readHistory } from "../../src/lib/store/message-store";
import { startOwnKafka } from "../../scripts/stack/own-stack";
import { startRedisServer } from "../../scripts/stack/redis-server";
import { audit, clean, range, seconds, storedInOrder } from "../support/audit";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { TRANSPORTS, watchBoard } from "../support/sse-viewer";
import {
  cleanupList,
  onFreePorts,
  postAccepted,
  postMessage,
  readTopic,
  stack,
  startConsumerProcess,
  testKafka,
  testRedis,
  waitFor,
  startApps,
} from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

function redisFor(url = stack.redisUrl): Redis {
  return cleanup.add(testRedis(url), (redis) => redis.disconnect());
}

const startPipeline = (label: string, overrides: Record<string, string> = {}, webs = 1) => startApps(cleanup, label, overrides, webs);

test("kill -9 of the consumer amid 1,000 concurrent posts: each stored once, in the broker's order", async (t) => {
  const { names, env, consumer, web } = await startPipeline("kill", { MESSAGES_LIMIT: "2000" });
  const redis = redisFor();
  const CLIENTS = 8;
  const EACH = 125;
  let posted = 0;
  const posting = Promise.all(
    range(CLIENTS).map(async (client) => {
      const ids: string[] = [];
      for (const i of range(EACH)) {
        ids.push(await postAccepted(web[0]!.url, `client ${client} message ${i}`));
        posted++;
      }
      return ids;
    }),
  );

  await waitFor("the consumer to store 100 messages", async () => (await redis.llen(names.list)) >= 100);
  await consumer.kill();
  const storedAtKill = await redis.llen(names.list);
  const postedAtKill = posted;
  const sentByClient = await posting;
  assert.ok(storedAtKill < 1000, "the consumer was killed with work left to do");

  const restarted = performance.now();
  cleanup.add(await startConsumerProcess(env, "kill-consumer-restarted"), (process) => process.stop());
  await waitFor("all 1,000 messages in the store", async () => (await redis.llen(names.list)) >= 1000, { timeoutMs: 90_000 });
  const recoveredMs = performance.now() - restarted;

  const stored = await storedInOrder(redis, names, 2000);
  const figures = audit(stored, sentByClient.flat());
  t.diagnostic(
    `posted ${postedAtKill} and stored ${storedAtKill} when killed; ${JSON.stringify(figures)}; all stored ${seconds(recoveredMs)} after the restart`,
  );
  assert.deepEqual(clean(figures), { lost: 0, duplicated: 0, reordered: 0 });
  assert.equal(stored.length, 1000);
  for (const [client, ids] of sentByClient.entries()) {
    const order = stored.filter((message) => ids.includes(message.id)).map((message) => message.id);
    assert.deepEqual(order, ids, `client ${client}'s messages keep the order it sent them in`);
  }
});

for (const transport of TRANSPORTS)
  test(`the web process's Redis subscription is dropped while messages flow: its viewer still gets every one, once, in order (${transport})`, async (t) => {
    const { web } = await startPipeline(`unsubscribed-${transport}`);
    const viewer = cleanup.add(watchBoard([web[0]!.url], { transport }), (watching) => watching.close());
    await viewer.connected();
    const admin = redisFor();

    const sent: string[] = [];
    let killed = 0;
    let killedAt = 0;
    for (const i of range(60)) {
      if (i === 20) {
        killed = Number(await admin.call("CLIENT", "KILL", "TYPE", "pubsub"));
        killedAt = performance.now();
      }
      sent.push(await postAccepted(web[0]!.url, `flowing ${i}`));
    }
    await waitFor("the viewer to have all 60", () => viewer.messages.length >= 60);
    const caughtUpMs = performance.now() - killedAt;

    const figures = audit(viewer.messages, sent);
    const log = readFileSync(path.join(stack.workDir, `unsubscribed-${transport}-web-1.log`), "utf8");
    t.diagnostic(`${killed} subscription(s) killed; ${JSON.stringify(figures)}; all delivered ${seconds(caughtUpMs)} after the kill`);
    assert.ok(killed >= 1, "a subscription was dropped");
    assert.deepEqual(clean(figures), { lost: 0, duplicated: 0, reordered: 0 });
    assert.deepEqual(
      viewer.messages.map((message) => message.id),
      sent,
    );
    assert.equal(viewer.connections, 1, "the web process filled the gap itself; the viewer never had to reconnect");
    assert.match(log, /filled viewers from the stored history/);
  });

test("Redis restarts (append-only file on): history intact, and what arrived meanwhile is stored and delivered", async (t) => {
  const dataDir = path.join(stack.workDir, `redis-restart-${Date.now()}`);
  const output = { file: `${dataDir}.log` };
  let server = await onFreePorts(1, ([port = 0]) => startRedisServer({ port, dataDir, output }));
  cleanup.add(null, () => server.stop());
  const redisUrl = server.url;
  const port = Number(new URL(redisUrl).port);
  const { names, web } = await startPipeline("redis-restart", { REDIS_URL: redisUrl });
  const redis = redisFor(redisUrl);
  const viewer = cleanup.add(watchBoard([web[0]!.url]), (watching) => watching.close());
  await viewer.connected();

  const before: string[] = [];
  for (const i of range(20)) before.push(await postAccepted(web[0]!.url, `before ${i}`));
  await waitFor("20 stored", async () => (await redis.llen(names.list)) === 20);
  const snapshot = await redis.lrange(names.list, 0, -1);

  await server.stop();
  const during: string[] = [];
  for (const i of range(20)) during.push(await postAccepted(web[0]!.url, `during ${i}`));
  const restarted = performance.now();
  server = await startRedisServer({ port, dataDir, output });
  await waitFor("all 40 stored", async () => (await redis.llen(names.list)) >= 40, { timeoutMs: 60_000 });
  const storedMs = performance.now() - restarted;
  await waitFor("the viewer to have all 40", () => viewer.messages.length >= 40, { timeoutMs: 30_000 });
  const deliveredMs = performance.now() - restarted;

  const stored = await storedInOrder(redis, names, 100);
  const figures = audit(stored, [...before, ...during]);
  t.diagnostic(`${JSON.stringify(figures)}; stored ${seconds(storedMs)} and delivered ${seconds(deliveredMs)} after Redis came back`);
  assert.deepEqual((await redis.lrange(names.list, 0, -1)).slice(20), snapshot, "the history from before is intact");
  assert.deepEqual(clean(figures), { lost: 0, duplicated: 0, reordered: 0 });
  assert.deepEqual(clean(audit(viewer.messages, [...before, ...during])), { lost: 0, duplicated: 0, reordered: 0 });
});

test("Kafka stops: posts fail fast and the page offers a retry; Kafka starts again: the retry is stored, nothing restarted", async (t) => {
  const broker = cleanup.add(await startOwnKafka(path.join(stack.workDir, `kafka-restart-${Date.now()}`), 1), (cluster) => cluster.stop());
  const { names, consumer, web } = await startPipeline("kafka-restart", { KAFKA_BROKERS: broker.brokers.join(",") });
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await browser.newPage();
  const view = board(page);
  await view.open(web[0]!.url);
  await view.send("before the stop");
  await view.message("before the stop").waitFor({ timeout: 10_000 });

  await broker.stopNode(1);
  const asked = performance.now();
  const refused = await postMessage(web[0]!.url, { text: "refused" });
  const refusedMs = performance.now() - asked;
  assert.equal(refused.status, 503);
  assert.match(JSON.stringify(refused.body), /kafka_unavailable/);

  await view.send("sent while Kafka is down");
  const unsent = view.outgoing("sent while Kafka is down");
  await unsent.getByRole("alert").filter({ hasText: "Kafka did not accept the message" }).waitFor({ timeout: 15_000 });

  const restarted = performance.now();
  await broker.startNode(1);
  const brokerMs = performance.now() - restarted;
  await unsent.getByRole("button", { name: "Retry" }).click();
  await page.locator('li[data-outgoing="accepted"]').waitFor({ timeout: 30_000 });
  const acceptedMs = performance.now() - restarted;
  await view.message("sent while Kafka is down").waitFor({ timeout: 60_000 });
  const recoveredMs = performance.now() - restarted;
  await waitFor("the sender's copy to give way to the stored one", async () => (await unsent.count()) === 0);
  const afterwards = await postMessage(web[0]!.url, { text: "after the restart" });
  assert.equal(afterwards.status, 201);

  const redis = redisFor();
  await waitFor("three stored", async () => (await redis.llen(names.list)) === 3, { timeoutMs: 30_000 });
  const stored = await storedInOrder(redis, names, 100);
  t.diagnostic(
    `503 after ${refusedMs.toFixed(0)} ms; broker back in ${seconds(brokerMs)}; after the restart began, the retry was accepted in ${seconds(acceptedMs)} and shown as stored in ${seconds(recoveredMs)}`,
  );
  assert.deepEqual(
    stored.map((message) => message.text),
    ["before the stop", "sent while Kafka is down", "after the restart"],
  );
  for (const process of [consumer, ...web]) {
    assert.equal(await Promise.race([process.exited, Promise.resolve("running")]), "running", `${process.name} kept running`);
  }
});

test("two web instances and two consumers: every message reaches viewers on both; when one stops, its viewer resumes on the other", async (t) => {
  const { names, env, web } = await startPipeline("scale", {}, 2);
  cleanup.add(await startConsumerProcess(env, "scale-consumer-2"), (process) => process.stop());
  const [a, b] = [web[0]!, web[1]!];

  const admin = cleanup.add(testKafka().admin(), (client) => client.disconnect());
  await admin.connect();
  const members = await waitFor("the group to share the partitions between two members", async () => {
    const { groups } = await admin.describeGroups([names.group]);
    const group = groups[0];
    return group?.state === "Stable" && group.members.length === 2 && group.members;
  });
  t.diagnostic(`group members: ${members.map((member) => member.memberId.slice(-8)).join(", ")}`);

  const onA = cleanup.add(watchBoard([a.url, b.url]), (watching) => watching.close());
  const onB = cleanup.add(watchBoard([b.url]), (watching) => watching.close());
  await Promise.all([onA.connected(), onB.connected()]);
  const sent: string[] = [];
  for (const i of range(20)) sent.push(await postAccepted((i % 2 === 0 ? a : b).url, `to ${i % 2 === 0 ? "A" : "B"} ${i}`));
  await waitFor("both viewers to have 20", () => onA.messages.length >= 20 && onB.messages.length >= 20);

  const stopped = performance.now();
  await a.stop();
  for (const i of range(20)) sent.push(await postAccepted(b.url, `after A stopped ${i}`));
  await waitFor("the viewer of A to have all 40 from B", () => onA.messages.length >= 40, { timeoutMs: 30_000 });
  const failoverMs = performance.now() - stopped;
  await waitFor("the viewer of B to have all 40", () => onB.messages.length >= 40);

  const figures = { viewerOfA: audit(onA.messages, sent), viewerOfB: audit(onB.messages, sent) };
  t.diagnostic(`${JSON.stringify(figures)}; A's viewer caught up on B ${seconds(failoverMs)} after A was stopped`);
  // Another reconnect on B would be legitimate; what counts is that it moved, and lost nothing.
  assert.ok(onA.connections >= 2, "A's viewer moved to B");
  for (const viewer of [onA, onB]) {
    assert.deepEqual(clean(audit(viewer.messages, sent)), { lost: 0, duplicated: 0, reordered: 0 });
    assert.deepEqual(
      viewer.messages.map((message) => message.id),
      sent,
    );
  }
});

for (const transport of TRANSPORTS)
  test(`a viewer away for 50 messages catches up exactly; one away for more than the history holds is told to reload (${transport})`, async (t) => {
    const { names, web } = await startPipeline(`catch-up-${transport}`, { MESSAGES_LIMIT: "100" });
    const url = web[0]!.url;
    const redis = redisFor();
    await postAccepted(url, "the last one seen");
    const first = cleanup.add(watchBoard([url], { after: "start", transport }), (watching) => watching.close());
    await waitFor("the first message", () => first.messages.length === 1);
    first.close();

    const missed: string[] = [];
    for (const i of range(50)) missed.push(await postAccepted(url, `missed ${i}`));
    await waitFor("51 stored", async () => (await redis.llen(names.list)) === 51);
    const back = cleanup.add(watchBoard([url], { lastEventId: first.lastEventId, transport }), (watching) => watching.close());
    await waitFor("the 50 missed", () => back.messages.length >= 50);
    const live = await postAccepted(url, "live again");
    await waitFor("the live one", () => back.messages.length >= 51);
    assert.deepEqual(
      back.messages.map((message) => message.id),
      [...missed, live],
      "exactly what was missed, in order, then live",
    );
    back.close();

    for (const i of range(101)) await postAccepted(url, `while away ${i}`);
    // All 101 stored, so that the oldest kept is "while away 1": one past what the viewer can resume from.
    await waitFor(
      "the history to move past the viewer",
      async () => (await readHistory(redis, names.keys, "main", 100)).messages[0]?.text === "while away 100",
    );
    const late = cleanup.add(watchBoard([url], { lastEventId: back.lastEventId, transport }), (watching) => watching.close());
    await waitFor("the reset", () => late.resets.length > 0);
    t.diagnostic(`caught up 50 + 1 live; after 101 more with a history of 100: reset ${late.resets.join(", ")}`);
    assert.deepEqual(late.resets, ["history-trimmed"]);
    assert.equal(late.messages.length, 0, "no message with a hole before it");
  });

test("garbage and wrong-schema records written straight into the topic land in the dead-letter topic; the board goes on", async () => {
  const { names, web } = await startPipeline("garbage");
  const viewer = cleanup.add(watchBoard([web[0]!.url]), (watching) => watching.close());
  await viewer.connected();
  const kafka = testKafka();
  await ensureTopic(kafka, names.topic, 3);
  const raw = cleanup.add(kafka.producer(), (producer) => producer.disconnect());
  await raw.connect();
  await raw.send({
    topic: names.topic,
    messages: [
      { key: "main", value: Buffer.from([0xff, 0x00, 0xfe]) },
      { key: "main", value: JSON.stringify({ id: 1, text: ["no"] }) },
    ],
  });
  const id = await postAccepted(web[0]!.url, "the board goes on");
  await waitFor("the message after the garbage", () => viewer.messages.some((message) => message.id === id));
  assert.deepEqual(
    viewer.messages.map((message) => message.text),
    ["the board goes on"],
  );

  const dead = await readTopic(names.deadLetterTopic, 2);
  assert.deepEqual(
    dead.map((record) => record.headers?.["dlq.reason"]?.toString().split(":")[0]),
    ["not UTF-8", "not a message"],
  );
});
