import type { KafkaMessage, Message as KafkaRecord } from "kafkajs";
import type { DurableProducer } from "../kafka/producer";

/** A record the consumer cannot store, and why. */
export type DeadLetter = { partition: number; record: KafkaMessage; reason: string };

/** Header names on a dead letter; the record's own key, value and headers are kept as they were. */
export const DEAD_LETTER_HEADERS = {
  reason: "dlq.reason",
  topic: "dlq.topic",
  partition: "dlq.partition",
  offset: "dlq.offset",
} as const;

/**
 * Copies records that are not messages to the dead-letter topic, where someone can look at them, so that
 * the consumer can go on. Resolves once the broker has them: only then may their offsets be committed.
 */
export async function sendDeadLetters(producer: DurableProducer, topic: string, from: string, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await producer.send(
    topic,
    letters.map((letter) => deadLetterRecord(letter, from)),
  );
}

/** The record as it was, with where it was and why it could not be used in its headers. */
export function deadLetterRecord({ partition, record, reason }: DeadLetter, from: string): KafkaRecord {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.topic]: from,
      [DEAD_LETTER_HEADERS.partition]: String(partition),
      [DEAD_LETTER_HEADERS.offset]: record.offset,
    },
  };
}
