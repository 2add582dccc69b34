import { Kafka, logLevel, type KafkaConfig, type LogEntry } from "kafkajs";
import type { Logger } from "../log";

// kafkajs stays behind this module and its neighbours, so that changing the client library touches only
// src/lib/kafka and src/lib/consumer.

// Retries are bounded on purpose (see createKafka); kafkajs warns about that on every producer.
const EXPECTED = "Limiting retries for the idempotent producer";

/**
 * What the broker answers while it is starting, electing a leader or moving a group's coordinator: normal,
 * and retried by kafkajs, so a debug line rather than an ERROR with a stack. If one persists, what waited
 * on it fails and says so.
 */
const TRANSIENT = [
  "The coordinator is loading",
  "The coordinator is not available",
  "The group coordinator is not available",
  "This is not the correct coordinator",
  "There is no leader for this topic-partition",
  "This server is not the leader for that topic-partition",
  "The group is rebalancing",
  "Leader not available",
  // A topic just created, or a node just restarted, before every node has the new metadata.
  "This server does not host this topic-partition",
];

export function isTransient(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return TRANSIENT.some((known) => text.includes(known));
}

// A crashed consumer says why in a line of its own, at its own level; the restart is no error by itself.
const RESTARTING = "Restarting the consumer";

// The group dropped a member that missed its heartbeats (a paused or overloaded process): kafkajs rejoins at
// once. Worth one warning, not an error per refused request.
const DROPPED = "The coordinator is not aware of this member";

/** Passes kafkajs's log entries to ours, each at the level it deserves. */
export function relayKafkaLog(log: Logger) {
  return ({ level, log: entry }: Pick<LogEntry, "level" | "log">) => {
    const { message, ...fields } = entry;
    if (message.startsWith(EXPECTED)) return;
    const text = `${message} ${typeof fields.error === "string" ? fields.error : ""}`;
    const { stack: _, ...brief } = fields;
    if (isTransient(text)) log.debug(message, brief);
    else if (text.includes(DROPPED)) (message.startsWith("Response ") ? log.debug : log.warn)(message, brief);
    else if (level <= logLevel.ERROR && !message.startsWith(RESTARTING)) log.error(message, fields);
    else if (level <= logLevel.WARN) log.warn(message, fields);
    else if (level === logLevel.INFO) log.info(message, fields);
    else log.debug(message, fields);
  };
}

/**
 * Fails fast when the broker is unreachable: a refused connection is retried three times within about a
 * second, so that a post waiting on Kafka is answered (503) in seconds rather than hanging. Within those
 * retries the idempotent producer still keeps a resent batch from being written twice.
 */
export function createKafka(brokers: string[], clientId: string, log: Logger, connection: Pick<KafkaConfig, "socketFactory"> = {}): Kafka {
  return new Kafka({
    ...connection,
    brokers,
    clientId,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: () => relayKafkaLog(log.child("kafkajs")),
  });
}
