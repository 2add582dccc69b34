// Running it: health and readiness, metrics, request ids through the pipeline, graceful shutdown, the
// inspector with real lag, and each message's trip through the pipeline shown on the board.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type AddressInfo } from "node:net";
import { after, test } from "node:test";
import { inspectionSchema } from "../../src/lib/inspection";
import { storedMessageSchema } from "../../src/lib/messages/schema";
import { readHistory } from "../../src/lib/store/message-store";
import { startInspectorProxy } from "../../scripts/stack/inspector-proxy";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { watchBoard } from "../support/sse-viewer";
import {
  appEnv,
  cleanupList,
  logOf,
  postAccepted,
  readTopic,
  startConsumerProcess,
  startWebProcess,
  testKafka,
  testRedis,
  uniqueNames,
  UNREACHABLE_BROKER,
  waitFor,
} from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

test("health, readiness and metrics of the web app and the consumer; a request id followed from the post to the consumer's log", async () => {
  const names = uniqueNames("ops");
  const env = appEnv(names, { LOG_LEVEL: "debug" });
  const consumer = cleanup.add(await startConsumerProcess(env, "ops-consumer"), (process) => process.stop());
  const web = cleanup.add(await startWebProcess(env, "ops-web"), (process) => process.stop());

  assert.deepEqual((await json(`${web.url}/api/health`)).status, 200);
  const ready = await waitFor("ready with a consumer", async () => {
    const answer = await json(`${web.url}/api/ready`);
    return answer.status === 200 && answer.body.status === "ready" && answer.body;
  });
  assert.match(JSON.stringify(ready), /"kafka":\{"ok":true/);

  const response = await fetch(`${web.url}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Request-Id": "trace-me-42" },
    body: JSON.stringify({ text: "followed" }),
  });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("x-request-id"), "trace-me-42");
  await fetch(`${web.url}/api/messages`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" });

  const [record] = await readTopic(names.topic, 1);
  assert.equal(record?.headers?.["request-id"]?.toString(), "trace-me-42", "the id travels in the record's headers");
  await waitFor("the consumer to log the stored message with the request id", () =>
    logOf("ops-consumer")
      .split("\n")
      .some((line) => line.includes("stored message") && line.includes("trace-me-42")),
  );
  const line = JSON.parse(
    logOf("ops-consumer")
      .split("\n")
      .find((entry) => entry.includes("trace-me-42"))!,
  ) as Record<string, unknown>;
  assert.equal(line.scope, "consumer");
  assert.equal(line.requestId, "trace-me-42");

  const webMetrics = await (await fetch(`${web.url}/api/metrics`)).text();
  assert.equal(metric(webMetrics, "board_messages_accepted_total"), 1);
  assert.equal(metric(webMetrics, 'board_messages_rejected_total\\{reason="unsupported_media_type"\\}'), 1);
  assert.equal(metric(webMetrics, "board_produce_duration_seconds_count"), 1);
  // Viewers are counted while their stream is open, and no longer once it closed.
  const viewers = async () => metric(await (await fetch(`${web.url}/api/metrics`)).text(), "board_viewers");
  assert.equal(metric(webMetrics, "board_viewers"), 0);
  const viewer = watchBoard([web.url], { reconnect: false });
  await viewer.connected();
  await waitFor("the open stream counted", async () => (await viewers()) === 1);
  viewer.close();
  await waitFor("the closed stream no longer counted", async () => (await viewers()) === 0);
  const consumerMetrics = await waitFor("the consumer's metrics to count the message", async () => {
    const text = await (await fetch(consumer.metricsUrl)).text();
    return metric(text, "board_messages_stored_total") === 1 && text;
  });
  assert.equal(metric(consumerMetrics, "board_records_consumed_total"), 1);
  // The board's key decides the partition: the one that holds the record.
  const admin = cleanup.add(testKafka().admin(), (client) => client.disconnect());
  await admin.connect();
  const partition = (await admin.fetchTopicOffsets(names.topic)).find((entry) => entry.high === "1")?.partition;
  assert.equal(metric(consumerMetrics, `board_consumer_lag\\{partition="${partition}"\\}`), 0);

  const noKafka = cleanup.add(await startWebProcess(appEnv(names, { KAFKA_BROKERS: UNREACHABLE_BROKER }), "ops-web-no-kafka"), (process) => process.stop());
  const unready = await json(`${noKafka.url}/api/ready`);
  assert.equal(unready.status, 503);
  assert.equal(unready.body.status, "unavailable");
  assert.equal((await json(`${noKafka.url}/api/health`)).status, 200, "up, though not ready");
});

test("SIGTERM while posts flow: the consumer stores and commits what it has in hand and leaves; every post answered 201 is kept", async (t) => {
  const names = uniqueNames("shutdown");
  const env = appEnv(names);
  const consumer = await startConsumerProcess(env, "shutdown-consumer");
  const web = await startWebProcess(env, "shutdown-web");
  cleanup.add(null, () => Promise.all([consumer.stop(), web.stop()]));

  const accepted: string[] = [];
  const refused: number[] = [];
  let stop = false;
  const posting = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        const answer = await fetch(`${web.url}/api/messages`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ text: `m${i}` }),
        });
        if (answer.status === 201) accepted.push(storedMessageSchema.pick({ id: true }).parse(await answer.json()).id);
        else refused.push(answer.status);
      } catch {
        return; // the server is gone
      }
    }
  })();
  await waitFor("some posts accepted", () => accepted.length >= 20);
  await Promise.all([web.stop(), consumer.stop()]);
  stop = true;
  await posting;

  const redis = cleanup.add(testRedis(), (client) => client.disconnect());
  const storedAtStop = (await readHistory(redis, names.keys, "main", 1000)).messages;
  const admin = cleanup.add(testKafka().admin(), (client) => client.disconnect());
  await admin.connect();
  const [{ groups }, [offsets]] = await Promise.all([admin.describeGroups([names.group]), admin.fetchOffsets({ groupId: names.group, topics: [names.topic] })]);
  const committed = offsets?.partitions.reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0) ?? 0;
  assert.equal(groups[0]?.members.length, 0, "the consumer left its group rather than waiting to time out");
  assert.equal(committed, storedAtStop.length, "it committed exactly what it stored: the batch in hand was finished");
  // Whether a post falls between refusing and closing is luck; tests/unit/handlers.test.ts shows that 503 itself.
  assert.deepEqual(
    refused.filter((status) => status !== 503),
    [],
    "no post was refused with anything but 503",
  );

  // Whatever was accepted after the consumer's last fetch waits in Kafka for the next consumer.
  cleanup.add(await startConsumerProcess(env, "shutdown-consumer-next"), (process) => process.stop());
  const stored = await waitFor("every accepted post stored", async () => {
    const { messages } = await readHistory(redis, names.keys, "main", 1000);
    return messages.length >= accepted.length && messages;
  });
  t.diagnostic(
    `${accepted.length} accepted, ${refused.length} refused while stopping; ${storedAtStop.length} stored at the stop, the rest by the next consumer`,
  );
  assert.deepEqual(stored.map((message) => message.id).sort(), [...accepted].sort(), "each accepted post stored once");
});

test("the inspector shows lag rising while the consumer is stopped and falling when it is back, on /inspect", async () => {
  const names = uniqueNames("inspect");
  const env = appEnv(names);
  let consumer = await startConsumerProcess(env, "inspect-consumer");
  cleanup.add(null, () => consumer.stop());
  const web = cleanup.add(await startWebProcess(env, "inspect-web"), (process) => process.stop());
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await browser.newPage();
  await page.goto(`${web.url}/inspect`);
  const groupNote = page.getByTestId("consumer-note");
  await groupNote.filter({ hasText: "lag 0" }).waitFor({ timeout: 15_000 });
  assert.match(await groupNote.innerText(), /Stable · 1 member/);

  await consumer.stop();
  for (let i = 0; i < 5; i++) await postAccepted(web.url, `waiting ${i}`);
  await groupNote.filter({ hasText: "lag 5" }).waitFor({ timeout: 15_000 });
  assert.match(await groupNote.innerText(), /0 member/);
  const inspection = inspectionSchema.parse(await (await fetch(`${web.url}/api/inspect`)).json());
  assert.equal(inspection.group.totalLag, 5);
  assert.ok(
    inspection.latest.some((record) => record.value.includes("waiting 4")),
    "the newest records, stored or not",
  );
  await page.getByRole("table", { name: "Newest records" }).getByText("waiting 4").first().waitFor();

  consumer = await startConsumerProcess(env, "inspect-consumer-again");
  await groupNote.filter({ hasText: "lag 0" }).waitFor({ timeout: 30_000 });

  // What `npm run local` serves on 8080: the same inspector, through a small proxy.
  const proxy = cleanup.add(await startInspectorProxy(0, Number(new URL(web.url).port)), (server) => server.close());
  const { port } = proxy.address() as AddressInfo;
  const home = await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
  assert.equal(home.headers.get("location"), "/inspect");
  await page.goto(`http://127.0.0.1:${port}/`);
  await groupNote.filter({ hasText: "lag 0" }).waitFor({ timeout: 15_000 });
});

test("each message shows its partition, offset and the time spent in each stage of the pipeline", async () => {
  const names = uniqueNames("stages");
  const env = appEnv(names);
  cleanup.add(await startConsumerProcess(env, "stages-consumer"), (process) => process.stop());
  const web = cleanup.add(await startWebProcess(env, "stages-web"), (process) => process.stop());
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const view = board(await browser.newPage());
  await view.open(web.url);
  await view.send("how long did I take?");
  const item = view.message("how long did I take?");
  await item.waitFor({ timeout: 10_000 });
  await item.getByText(/Pipeline: partition \d+, offset \d+/).click();
  const stages = await item.getByRole("list", { name: "Pipeline stages" }).getByRole("listitem").allInnerTexts();
  assert.deepEqual(
    stages.map((stage) => stage.split(" ")[0]),
    ["accepted", "appended", "consumed", "stored", "delivered"],
  );
  for (const stage of stages) assert.match(stage, /^\w+ \+\d+ ms$/, `a measured time: ${stage}`);
});

test("a connection that has sent nothing yet does not hold a stopping web process to its 5 s grace", async (t) => {
  const web = cleanup.add(await startWebProcess(appEnv(uniqueNames("spare")), "spare-web"), (process) => process.stop());
  const { hostname, port } = new URL(web.url);
  // What a browser or a proxy opens ahead of a request it may never send.
  const spare = connect(Number(port), hostname);
  await once(spare, "connect");
  cleanup.add(spare, (socket) => socket.destroy());
  const started = performance.now();
  await web.stop();
  const ms = performance.now() - started;
  t.diagnostic(`stopped in ${Math.round(ms)} ms with a spare connection open`);
  assert.ok(ms < 2000, `stopped in ${Math.round(ms)} ms`);
});
