import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../../src/lib/config";

test("runs on the local stack with no variables set", () => {
  const config = parseConfig({});
  assert.deepEqual(config.KAFKA_BROKERS, ["127.0.0.1:9092"]);
  assert.equal(config.KAFKA_TOPIC, "message-board");
  assert.equal(config.REDIS_URL, "redis://127.0.0.1:6379");
  assert.equal(config.REDIS_MESSAGES_KEY, "messages");
  assert.equal(config.REDIS_CHANNEL, "new-messages");
  assert.equal(config.MESSAGES_LIMIT, 100);
  assert.ok(config.KAFKA_TOPIC_PARTITIONS > 1, "several partitions, so a consumer group has something to share");
});

test("reads lists and numbers from strings, and treats an empty variable as unset", () => {
  const config = parseConfig({ KAFKA_BROKERS: "a:1, b:2", MESSAGES_LIMIT: "250", KAFKA_TOPIC: "" });
  assert.deepEqual(config.KAFKA_BROKERS, ["a:1", "b:2"]);
  assert.equal(config.MESSAGES_LIMIT, 250);
  assert.equal(config.KAFKA_TOPIC, "message-board");
});

test("names every variable that is wrong", () => {
  assert.throws(
    () => parseConfig({ MESSAGES_LIMIT: "lots", REDIS_URL: "http://example", KAFKA_BROKERS: "no-port" }),
    (error: unknown) => error instanceof ConfigError && ["MESSAGES_LIMIT", "REDIS_URL", "KAFKA_BROKERS"].every((name) => error.message.includes(name)),
  );
});

test(".env.local.example documents every setting, with its default", async () => {
  const { readFileSync } = await import("node:fs");
  const { configSchema } = await import("../../src/lib/config");
  const example = Object.fromEntries(
    readFileSync(new URL("../../.env.local.example", import.meta.url), "utf8")
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  assert.deepEqual(Object.keys(example).sort(), Object.keys(configSchema.shape).sort());
  assert.deepEqual(parseConfig(example), parseConfig({}));
});
