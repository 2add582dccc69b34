// Redis and PostgreSQL are views of one Kafka log, and Kafka can put another log under the same topic name:
// the topic made again, or Kafka's data removed. Each time, real consumer and web processes on the same
// Redis and PostgreSQL show every new post at once, in every view, and once.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { z } from "zod";
import { parseConfig } from "../../src/lib/config";
import { readLogIdentity } from "../../src/lib/kafka/log-identity";
import { ensureBoardTopics } from "../../src/lib/kafka/topics";
import { rebuildNotices } from "../../src/lib/store/followed-log";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { startOwnKafka } from "../../scripts/stack/own-stack";
import { range } from "../support/audit";
import { eachOnce, postOnNewLog, viewsOf } from "../support/new-log";
import { freshDatabase } from "../support/postgres";
import { appEnv, cleanupList, logOf, postUntilAccepted, stack, startApps, testKafka, testRedis, uniqueNames, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());
const redis = cleanup.add(testRedis(), (client) => client.disconnect());

test("the topic deleted and made again while the board runs: new posts show at once in every view, the old log's leave", async (t) => {
  const databaseUrl = await freshDatabase("remade");
  const { names, env, web, consumer } = await startApps(cleanup, "remade", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const before: string[] = [];
  for (const i of range(30)) before.push(await postUntilAccepted(url, { text: `before ${i}` }));
  await eachOnce("the first posts in history", async () => (await viewsOf(url, "before")).history, before);
  // A reader whose page is open throughout: its stream is told that the store started again, and it reloads.
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = board(await browser.newPage());
  await page.open(url);
  await page.message("before 29").waitFor();

  const kafka = testKafka();
  const admin = cleanup.add(kafka.admin(), (client) => client.disconnect());
  await admin.connect();
  const old = await readLogIdentity(stack.brokers, names.topic);
  await admin.deleteTopics({ topics: [names.topic] });
  await waitFor("the topic to be gone", async () => !(await admin.listTopics()).includes(names.topic));
  await ensureBoardTopics(kafka, parseConfig(env));
  const remade = await readLogIdentity(stack.brokers, names.topic);
  assert.equal(remade.clusterId, old.clusterId);
  assert.notEqual(remade.topicId, old.topicId, "a topic made again has another id");

  const afterwards: string[] = [];
  for (const i of range(10)) afterwards.push(await postUntilAccepted(url, { text: `after ${i}` }, { timeoutMs: 30_000 }));
  const views = () => viewsOf(url, "after");
  await eachOnce("the new posts in the recent list", async () => (await views()).recent, afterwards);
  const shown = async () => Promise.all(range(10).map(async (i) => page.message(`after ${i}`).count()));
  await waitFor("the open page to show each new post once", async () => (await shown()).every((count) => count === 1), { timeoutMs: 10_000 });
  assert.equal(await page.message("before").count(), 0, "the open page shows none of the old log's");
  await eachOnce("the new posts in history", async () => (await views()).history, afterwards);
  await eachOnce("the new posts found by search", async () => (await views()).search, afterwards);
  // The views follow the log that is, and the first posts went with the topic that held them.
  const left = await viewsOf(url, "before");
  assert.deepEqual(
    [left.recent, left.history, left.search].map((ids) => ids.filter((id) => before.includes(id)).length),
    [0, 0, 0],
  );

  const said = logOf(consumer.name);
  // What the consumer counted, read from its own metrics.
  const metricsUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(said)?.[1];
  assert.ok(metricsUrl, "the consumer says where its metrics are");
  const metrics = await (await fetch(metricsUrl)).text();
  const counted = (name: string, label: string) => Number(new RegExp(`^${name}\\{${label}\\} (\\d+)$`, "m").exec(metrics)?.[1] ?? 0);
  // Which notices first, Kafka moving the consumer back or the check every five seconds, is a race; each
  // time Kafka moved it back is both said and counted.
  const movedBack = (group: string) => said.split("\n").filter((line) => line.includes("(offset out of range)") && line.includes(`"group":"${group}"`)).length;
  for (const group of [names.group, names.historyGroup]) assert.equal(counted("board_offsets_out_of_range_total", `group="${group}"`), movedBack(group), group);
  assert.equal(counted("board_views_rebuilt_total", 'view="store"'), 1);
  assert.equal(counted("board_views_rebuilt_total", 'view="history"'), 1);
  assert.equal(counted("board_views_rebuilt_total", 'view="boards"'), 0, "the boards topic was not made again");

  t.diagnostic(
    said
      .split("\n")
      .filter((line) => /another log|out of range|rebuilt/.test(line))
      .map((line) => /"msg":"([^"]*)"/.exec(line)?.[1])
      .join("\n"),
  );
  assert.match(said, /the Redis store was read from another log/);
  assert.match(said, /history in PostgreSQL was read from another log/);
  const ready = async () => readySchema.parse(await (await fetch(`${url}/api/ready`)).json());
  await waitFor("/api/ready to be ready once the views are rebuilt", async () => (await ready()).status === "ready");

  // While a consumer says a view is being rebuilt, every web process says so too.
  const notices = rebuildNotices(redis, names.keys);
  await notices.set("history", "history in PostgreSQL is being rebuilt from a new log of the topic.", 60_000);
  assert.deepEqual(await ready(), { status: "degraded", warnings: ["history in PostgreSQL is being rebuilt from a new log of the topic."] });
  await notices.clear("history");
  assert.equal((await ready()).status, "ready");
});

const readySchema = z.object({ status: z.string(), warnings: z.array(z.string()) }).transform(({ status, warnings }) => ({ status, warnings }));

test("Kafka's data removed while Redis and PostgreSQL are kept: the new cluster's posts show, none hidden, none twice", async (t) => {
  const home = path.join(stack.workDir, "removed-kafka");
  const first = cleanup.add(await startOwnKafka(home, 1), (cluster) => cluster.stop());
  const names = uniqueNames("removed");
  const env = appEnv(names, { DATABASE_URL: await freshDatabase("removed") });
  const before = await postOnNewLog(cleanup, "removed-before", { ...env, KAFKA_BROKERS: first.brokers.join(",") }, "before", 20);

  await first.stop();
  rmSync(home, { recursive: true, force: true });
  const second = cleanup.add(await startOwnKafka(home, 1), (cluster) => cluster.stop());
  const after = await postOnNewLog(cleanup, "removed-after", { ...env, KAFKA_BROKERS: second.brokers.join(",") }, "after", 10);

  t.diagnostic(`${before.ids.length} posts on the first cluster, ${after.ids.length} on the second; the views now hold ${after.views.recent.length}`);
  assert.deepEqual(after.views.recent.toSorted(), after.ids.toSorted(), "the recent list holds the new cluster's posts, and only those");
  assert.deepEqual(after.views.history.toSorted(), after.ids.toSorted());
  assert.match(after.consumerLog, /another log .* than Kafka has now/);
});
