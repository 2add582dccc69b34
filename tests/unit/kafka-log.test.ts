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

  assert.deepEqual(
    lines.map(({ level, fields }) => [level, fields?.stack !== undefined]),
    [
      ["debug", false],
      ["debug", false],
      ["debug", false],
      ["warn", false],
      ["error", true],
    ],
  );
});
