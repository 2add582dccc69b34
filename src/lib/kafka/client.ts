import { Kafka, logLevel, type LogEntry } from "kafkajs";
import { createLogger } from "../log";

// kafkajs stays behind this module and its two neighbours, so that changing the client library touches
// only src/lib/kafka.

const log = createLogger("kafkajs");

// Retries are bounded on purpose (see createKafka); kafkajs warns about that on every producer.
const EXPECTED = "Limiting retries for the idempotent producer";

function logCreator() {
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...fields } = entry;
    if (message.startsWith(EXPECTED)) return;
    if (level <= logLevel.ERROR) log.error(message, fields);
    else log.warn(message, fields);
  };
}

/**
 * Fails fast when the broker is unreachable: a refused connection is retried three times within about a
 * second, so that a post waiting on Kafka is answered (503) in seconds rather than hanging. Within those
 * retries the idempotent producer still keeps a resent batch from being written twice.
 */
export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    brokers,
    clientId,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator,
  });
}
