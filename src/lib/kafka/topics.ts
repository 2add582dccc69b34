import type { Kafka } from "kafkajs";
import type { Config } from "../config";

type TopicConfig = { name: string; value: string }[];

/** Creates the topic unless it exists; an existing topic keeps its partitions and settings. Safe to run
 * concurrently: creating a topic that exists is no error. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number, configEntries: TopicConfig = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Asking first keeps the broker from logging a creation error on every start.
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The board's topic and its dead-letter topic. The board's records take the broker's clock as their
 * timestamp (LogAppendTime), so each message carries the moment Kafka appended it.
 */
export async function ensureBoardTopics(kafka: Kafka, config: Pick<Config, "KAFKA_TOPIC" | "KAFKA_TOPIC_PARTITIONS" | "KAFKA_DLQ_TOPIC">): Promise<void> {
  await ensureTopic(kafka, config.KAFKA_TOPIC, config.KAFKA_TOPIC_PARTITIONS, [{ name: "message.timestamp.type", value: "LogAppendTime" }]);
  await ensureTopic(kafka, config.KAFKA_DLQ_TOPIC, 1);
}
