import assert from "node:assert/strict";
import { test } from "node:test";
import { logLevel } from "kafkajs";
import { relayKafkaLog } from "../../src/lib/kafka/client";
import type { Logger } from "../../src/lib/log";

function recording() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => log };
  return { log, lines };
}

const entry = (level: logLevel, message: string, fields: Record<string, unknown> = {}) => ({
  level,
  log: { message, namespace: "test", label: "ERROR", timestamp: "2026-01-01T00:00:00.000Z", logger: "kafkajs", ...fields },
});

test("what the broker answers while starting is a debug line without a stack; real errors stay errors with theirs", () => {
  const { log, lines } = recording();
  const relay = relayKafkaLog(log);
  relay(
    entry(logLevel.ERROR, "Response GroupCoordinator(key: 10, version: 2)", {
      error: "The coordinator is loading and hence can't process requests for this group",
    }),
  );
  relay(entry(logLevel.ERROR, "[Consumer] Crash: KafkaJSProtocolError: The coordinator is not available", { stack: "Error: …" }));
  relay(entry(logLevel.ERROR, "Response Metadata(key: 3, version: 6)", { error: "This server does not host this topic-partition" }));
  relay(entry(logLevel.ERROR, "Restarting the consumer in 100ms", { groupId: "g" }));
  relay(entry(logLevel.ERROR, "Connection error: connect ECONNREFUSED 127.0.0.1:1", { stack: "Error: connect ECONNREFUSED" }));
  relay(entry(logLevel.WARN, "Limiting retries for the idempotent producer to Number.MAX_SAFE_INTEGER"));
  relay(entry(logLevel.ERROR, "Response Heartbeat(key: 12, version: 3)", { error: "The coordinator is not aware of this member" }));
  relay(entry(logLevel.ERROR, "The coordinator is not aware of this member, re-joining the group", { error: "The coordinator is not aware of this member" }));
  // With KAFKAJS_LOG_LEVEL raised, kafkajs's own chatter keeps its level rather than passing for warnings.
  relay(entry(logLevel.INFO, "[ConsumerGroup] Consumer has joined the group"));
  relay(entry(logLevel.DEBUG, "[Connection] Request JoinGroup(key: 11, version: 5)"));

  assert.deepEqual(
    lines.map(({ level, fields }) => [level, fields?.stack !== undefined]),
    [
      ["debug", false],
      ["debug", false],
      ["debug", false],
      ["warn", false],
      ["error", true],
      ["debug", false],
      ["warn", false],
      ["info", false],
      ["debug", false],
    ],
  );
});
