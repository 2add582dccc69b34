// A consumer group member on the real broker, when kafkajs gives up on it.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { groupConsumer, restartingRun } from "../../src/lib/consumer/group";
import { ensureTopic } from "../../src/lib/kafka/topics";
import { silentLog } from "../support/silent-log";
import { cleanupList, testKafka, uniqueNames, waitFor } from "../support/stack";

const kafka = testKafka();
const cleanup = cleanupList();
after(() => cleanup.run());

test("a consumer that kafkajs stops for good is started again and reads on", async () => {
  const names = uniqueNames("restart");
  await ensureTopic(kafka, names.topic, 1);
  const producer = cleanup.add(kafka.producer(), (started) => started.disconnect());
  await producer.connect();
  const send = (values: string[]) => producer.send({ topic: names.topic, messages: values.map((value) => ({ value })) });
  await send(["0", "1", "2", "3"]);

  const consumer = groupConsumer(kafka, names.group, silentLog);
  const restarts: boolean[] = [];
  consumer.on(consumer.events.CRASH, ({ payload }) => restarts.push(payload.restart));
  await consumer.connect();
  await consumer.subscribe({ topics: [names.topic], fromBeginning: true });
  const read: string[] = [];
  let failed = false;
  const running = cleanup.add(restartingRun(consumer, silentLog), (started) => started.stop());
  await running.run({
    eachMessage: async ({ message }) => {
      const value = message.value?.toString() ?? "";
      // A TypeError is one kafkajs never retries: its consumer stops and stays stopped.
      if (value === "2" && !failed) {
        failed = true;
        throw new TypeError("a handler's bug, met once");
      }
      read.push(value);
    },
  });

  await waitFor("the records after the failure read", () => read.includes("3"));
  // A new group's coordinator may still be loading at the start: kafkajs restarts after that by itself.
  assert.deepEqual(
    restarts.filter((restart) => !restart),
    [false],
    "kafkajs gave up on the consumer once and did not restart it itself",
  );
  await send(["4"]);
  await waitFor("a record sent after the restart read", () => read.includes("4"));
  assert.deepEqual([...new Set(read)], ["0", "1", "2", "3", "4"]);
  assert.deepEqual(read.slice(-3), ["2", "3", "4"], "each record after the failure read once, in order");
});
