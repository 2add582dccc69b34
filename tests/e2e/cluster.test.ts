// Three Kafka nodes (one cluster for every test here), three copies of each partition, two needed for a
// write: nodes are crashed, restarted one by one and lost two at a time while clients post through real
// web processes. Each test reports what it measured.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import type { Admin } from "kafkajs";
import { createKafka } from "../../src/lib/kafka/client";
import { underReplicatedPartitions } from "../../src/lib/kafka/cluster-view";
import { inspectionSchema } from "../../src/lib/inspection";
import type { KafkaCluster } from "../../scripts/stack/kafka-broker";
import type { ManagedProcess } from "../../scripts/stack/processes";
import { startOwnKafka } from "../../scripts/stack/own-stack";
import { audit, clean, range, seconds, sendersOutOfOrder, storedInOrder } from "../support/audit";
import { runTinyBench } from "../support/bench";
import { silentLog } from "../support/silent-log";
import { postOnNewLog } from "../support/new-log";
import { freshDatabase } from "../support/postgres";
import {
  appEnv,
  cleanupList,
  postMessage,
  postUntilAccepted,
  stack,
  startApps,
  testRedis,
  troubleIn,
  uniqueNames,
  waitFor,
  type Names,
} from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

let cluster: KafkaCluster;
let admin: Admin;
before(async () => {
  cluster = cleanup.add(await startOwnKafka(path.join(stack.workDir, "cluster"), 3), (started) => started.stop());
  admin = cleanup.add(createKafka(cluster.brokers, "cluster-tests", silentLog).admin(), (client) => client.disconnect());
  await admin.connect();
});

const redis = cleanup.add(testRedis(), (client) => client.disconnect());
const onCluster = (overrides: Record<string, string> = {}) => ({
  KAFKA_BROKERS: cluster.brokers.join(","),
  KAFKA_REPLICATION_FACTOR: "3",
  // Every message of a test stays in the store's list, where the test counts them.
  MESSAGES_LIMIT: "10000",
  ...overrides,
});

// The consumer's kafkajs client logs each request, so that a stall in a failover leaves its trace.
const tracedConsumer = { LOG_LEVEL: "debug", KAFKAJS_LOG_LEVEL: "debug" };

/** When each post was answered, and how: what the outage figures are made of. */
type Answer = { at: number; accepted: boolean };

/** A client posting as the page does, one post after another; resolves with the ids, in the order it sent them. */
async function sender(url: string, label: string, answers: Answer[], keepGoing: (sent: number) => boolean): Promise<string[]> {
  const ids: string[] = [];
  const onAnswer = (accepted: boolean) => answers.push({ at: performance.now(), accepted });
  while (keepGoing(ids.length)) ids.push(await postUntilAccepted(url, { text: `${label} ${ids.length}` }, { onAnswer }));
  return ids;
}

/** The longest time without an accepted post, from `since` on: how long posting stopped. */
function longestPause(answers: readonly Answer[], since: number): number {
  const times = [since, ...answers.filter((answer) => answer.accepted && answer.at >= since).map((answer) => answer.at)].sort((a, b) => a - b);
  return Math.max(0, ...times.slice(1).map((at, i) => at - (times[i] ?? at)));
}

async function partitionOf(names: Names, url: string): Promise<{ partition: number; leader: number }> {
  const id = randomUUID();
  assert.equal((await postMessage(url, { id, text: "where does the board live?" })).status, 201);
  const stored = await waitFor("the first message stored", async () => (await storedInOrder(redis, names, 10)).find((message) => message.id === id));
  const { topics } = await admin.fetchTopicMetadata({ topics: [names.topic] });
  const leader = topics[0]?.partitions.find((entry) => entry.partitionId === stored.partition)?.leader ?? -1;
  return { partition: stored.partition, leader };
}

const allInSync = () =>
  waitFor("every partition back in sync", async () => (await underReplicatedPartitions(admin)) === 0, { timeoutMs: 90_000, intervalMs: 250 });

// Each test starts from the whole cluster, even when the one before it failed halfway through a fault.
beforeEach(async () => {
  for (const id of cluster.stoppedNodes) await cluster.startNode(id);
  await allInSync();
});

/** Waits for `count` messages in the store; if they do not come, says what the consumer warned of. */
async function allStored(names: Names, count: number, consumer: ManagedProcess) {
  await waitFor(`${count} messages stored`, async () => (await redis.llen(names.list)) >= count, { timeoutMs: 90_000 }).catch(async (error: unknown) => {
    // How many did arrive tells posts lost by the broker from a consumer that stalled.
    const arrived = await redis.llen(names.list);
    throw new Error(`${String(error)} (${arrived} stored)\nthe consumer's last warnings and errors:\n${troubleIn(consumer.name)}`);
  });
  return storedInOrder(redis, names, 10_000);
}

test("kill -9 of the board partition's leader while 8 clients post 1,000 messages: none lost, none twice, order kept", async (t) => {
  const { names, web, consumer } = await startApps(cleanup, "leader-kill", onCluster(), 1, tracedConsumer);
  const url = web[0]!.url;
  const { partition, leader } = await partitionOf(names, url);

  const answers: Answer[] = [];
  let killedAt = 0;
  const sending = Promise.all(range(8).map((client) => sender(url, `client ${client}`, answers, (sent) => sent < 125)));
  await waitFor("200 posts accepted", () => answers.filter((answer) => answer.accepted).length >= 200);
  killedAt = performance.now();
  await cluster.stopNode(leader, "kill");

  const ready = await waitFor("/api/ready to report the node down", async () => {
    const body = (await (await fetch(`${url}/api/ready`)).json()) as { status: string; warnings: string[] };
    return body.status === "degraded" && body.warnings.some((warning) => warning.includes(`Kafka node ${leader} is down`)) && body;
  });
  const sent = await sending;
  const stored = (await allStored(names, 1001, consumer)).slice(1);
  const figures = audit(stored, sent.flat());
  const refused = answers.filter((answer) => !answer.accepted).length;
  const { topics } = await admin.fetchTopicMetadata({ topics: [names.topic] });
  const newLeader = topics[0]?.partitions.find((entry) => entry.partitionId === partition)?.leader;
  t.diagnostic(
    `partition ${partition}: leader ${leader} killed after ${answers.filter((a) => a.at < killedAt && a.accepted).length} accepted, new leader ${newLeader}; ` +
      `${refused} answer(s) 503 and retried; posting stopped for ${seconds(longestPause(answers, killedAt))}; ${JSON.stringify(figures)}; ready: ${JSON.stringify(ready.warnings)}`,
  );
  assert.deepEqual(clean(figures), { lost: 0, duplicated: 0, reordered: 0 });
  assert.equal(stored.length, 1000);
  assert.deepEqual(sendersOutOfOrder(stored, sent), [], "each client's messages are stored in the order it sent them");
  assert.notEqual(newLeader, leader);

  // What an operator sees meanwhile: the node down, a controller that is up, partitions short of a copy.
  const inspection = inspectionSchema.parse(await (await fetch(`${url}/api/inspect`)).json());
  assert.deepEqual(
    inspection.cluster.nodes.map((node) => [node.id, node.up]),
    [1, 2, 3].map((id) => [id, id !== leader]),
  );
  assert.ok(inspection.cluster.controller > 0 && inspection.cluster.controller !== leader, "an active controller that is up");
  assert.ok(inspection.topic.underReplicated > 0);
  const metrics = await (await fetch(`${url}/api/metrics`)).text();
  assert.match(metrics, /^board_kafka_under_replicated_partitions [1-9]\d*$/m);

  const restarted = performance.now();
  await cluster.startNode(leader);
  await allInSync();
  t.diagnostic(`node ${leader} back and every partition in sync ${seconds(performance.now() - restarted)} after its restart`);
  await waitFor("/api/ready to be ready again", async () => ((await (await fetch(`${url}/api/ready`)).json()) as { status: string }).status === "ready");
});

test("a rolling restart of all three nodes under load: every accepted post is stored, once, in order", async (t) => {
  const { names, web, consumer } = await startApps(cleanup, "rolling", onCluster(), 1, tracedConsumer);
  const url = web[0]!.url;
  await partitionOf(names, url);
  const answers: Answer[] = [];
  let restarting = true;
  const started = performance.now();
  // Each within the store's list: at most 4 × 2,400 posts, and they go on until the restart is done.
  const sending = Promise.all(range(4).map((client) => sender(url, `client ${client}`, answers, (sent) => restarting && sent < 2400)));

  const steps: string[] = [];
  for (const id of [1, 2, 3]) {
    const from = performance.now();
    await cluster.stopNode(id);
    await cluster.startNode(id);
    await allInSync();
    steps.push(`node ${id} ${seconds(performance.now() - from)}`);
  }
  restarting = false;
  const sent = await sending;
  const total = sent.flat().length;
  const stored = (await allStored(names, total + 1, consumer)).slice(1);
  const figures = audit(stored, sent.flat());
  t.diagnostic(
    `restarted ${steps.join(", ")}; ${total} accepted, ${answers.filter((a) => !a.accepted).length} answered 503 and retried; ` +
      `posting stopped for at most ${seconds(longestPause(answers, started))}; ${JSON.stringify(figures)}`,
  );
  assert.ok(total >= 100, "posts went on during the restart");
  assert.deepEqual(clean(figures), { lost: 0, duplicated: 0, reordered: 0 });
  assert.deepEqual(sendersOutOfOrder(stored, sent), []);
});

test("two nodes down: posts are refused with a clear 503 and none is acknowledged; one back and posting resumes", async (t) => {
  const { names, web, consumer } = await startApps(cleanup, "two-down", onCluster(), 1, tracedConsumer);
  const url = web[0]!.url;
  const { leader } = await partitionOf(names, url);
  const [first, second] = [1, 2, 3].filter((id) => id !== leader);
  // The leader and one follower: the one copy left cannot take a write alone.
  await Promise.all([cluster.stopNode(leader, "kill"), cluster.stopNode(first!, "kill")]);

  const refusals: { id: string; ms: number; body: unknown }[] = [];
  for (const i of range(3)) {
    const id = randomUUID();
    const asked = performance.now();
    const { status, body } = await postMessage(url, { id, text: `while two are down ${i}` });
    assert.equal(status, 503, `refused, not ${status}: ${JSON.stringify(body)}`);
    refusals.push({ id, ms: performance.now() - asked, body });
  }
  assert.match(JSON.stringify(refusals[0]?.body), /kafka_unavailable/);
  const ready = (await (await fetch(`${url}/api/ready`)).json()) as { status: string };

  const restarted = performance.now();
  await cluster.startNode(leader);
  const answers: Answer[] = [];
  // The page's Retry of each refused post: the same id, so that a copy Kafka kept after all is not shown twice.
  const onAnswer = (accepted: boolean) => answers.push({ at: performance.now(), accepted });
  for (const refused of refusals) await postUntilAccepted(url, { id: refused.id, text: "retried" }, { onAnswer });
  const resumedMs = (answers.find((answer) => answer.accepted)?.at ?? 0) - restarted;
  const stored = (await allStored(names, 4, consumer)).slice(1);
  t.diagnostic(
    `503 after ${refusals.map((r) => `${r.ms.toFixed(0)} ms`).join(", ")}; /api/ready said ${ready.status}; ` +
      `node ${leader} started again and posts accepted ${seconds(resumedMs)} later; node ${second} alone had held on`,
  );
  assert.notEqual(ready.status, "ready");
  assert.deepEqual(
    clean(
      audit(
        stored,
        refusals.map((r) => r.id),
      ),
    ),
    { lost: 0, duplicated: 0, reordered: 0 },
  );
  await cluster.startNode(first!);
  await allInSync();
});

test("one broker, then three, then one again, on the same Redis and PostgreSQL: each log's posts show at once, none twice", async (t) => {
  // What `npm run local` and then `npm run local -- --brokers 3` do on one data directory: two clusters,
  // two logs under one topic name, one Redis and one PostgreSQL.
  const names = uniqueNames("switch");
  const shared = { DATABASE_URL: await freshDatabase("switch") };
  const one = appEnv(names, shared);
  const three = appEnv(names, { ...shared, ...onCluster({ MESSAGES_LIMIT: "100" }) });

  const first = await postOnNewLog(cleanup, "switch-one", one, "first", 40);
  const second = await postOnNewLog(cleanup, "switch-three", three, "second", 10);
  const third = await postOnNewLog(cleanup, "switch-back", one, "third", 10);

  const sorted = (ids: readonly string[]) => ids.toSorted();
  t.diagnostic(
    `views after each switch: ${[first, second, third].map(({ views }) => `${views.recent.length} recent, ${views.history.length} in history`).join("; ")}`,
  );
  // Each log's views hold that log's posts and only those: the cluster's ten, then the single node's fifty.
  assert.deepEqual(sorted(second.views.recent), sorted(second.ids));
  assert.deepEqual(sorted(second.views.history), sorted(second.ids));
  assert.deepEqual(sorted(third.views.recent), sorted([...first.ids, ...third.ids]));
  assert.deepEqual(sorted(third.views.history), sorted([...first.ids, ...third.ids]));
  for (const { consumerLog } of [second, third]) {
    assert.match(consumerLog, /the Redis store was read from another log/);
    assert.match(consumerLog, /the list of boards was read from another log/);
    assert.match(consumerLog, /history in PostgreSQL was read from another log/);
  }
});

test("npm run bench compares three copies with one in the same run: ingest and end to end", async () => {
  const { code, output, written } = await runTinyBench("bench-replication.json", ["--only", "replication"], {
    TEST_CLUSTER_BROKERS: cluster.brokers.join(","),
  });
  assert.equal(code, 0, output);
  for (const scenario of ["ingest, 1 client\\(s\\), 3 copies vs 1", "end to end p99 at \\d+/s, 3 copies vs 1"]) assert.match(output, new RegExp(scenario));
  assert.deepEqual(Object.keys(written.results), ["replication"]);
});
