import { Kafka, logLevel, type LogEntry } from "kafkajs";
import { createLogger } from "../log";

// kafkajs stays behind this module and its two neighbours, so that changing the client library touches
// only src/lib/kafka.

const log = createLogger("kafkajs");

function logCreator() {
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...fields } = entry;
    if (level <= logLevel.ERROR) log.error(message, fields);
    else log.warn(message, fields);
  };
}

/**
 * Fails fast when the broker is unreachable: a refused connection is retried three times within about a
 * second, so that a request waiting on Kafka gets an answer in seconds rather than hanging.
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
