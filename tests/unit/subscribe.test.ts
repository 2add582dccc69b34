import assert from "node:assert/strict";
import { test } from "node:test";
import type { Consumer } from "kafkajs";
import { subscribeWhenKnown } from "../../src/lib/consumer/group";
import { silentLog } from "../support/silent-log";

// What kafkajs throws when the node it asks has not heard of a topic yet.
const unknownTopic = () => Object.assign(new Error("This server does not host this topic-partition"), { type: "UNKNOWN_TOPIC_OR_PARTITION" });

function consumerFailing(failures: (() => Error)[]) {
  let calls = 0;
  const consumer = {
    subscribe: async () => {
      const failure = failures[calls++];
      if (failure) throw failure();
    },
  } as unknown as Consumer;
  return { consumer, calls: () => calls };
}

test("a topic a node has not heard of yet is asked for again until it is known", async () => {
  const { consumer, calls } = consumerFailing([unknownTopic, unknownTopic]);
  await subscribeWhenKnown(consumer, ["board"], silentLog);
  assert.equal(calls(), 3);
});

test("any other failure to subscribe, or a topic still unknown after the wait, stops the start", async () => {
  const refused = consumerFailing([() => new Error("Not authorized to access topics")]);
  await assert.rejects(subscribeWhenKnown(refused.consumer, ["board"], silentLog), /Not authorized/);
  assert.equal(refused.calls(), 1);

  const missing = consumerFailing(Array.from({ length: 100 }, () => unknownTopic));
  await assert.rejects(subscribeWhenKnown(missing.consumer, ["board"], silentLog, 150), /does not host/);
});
