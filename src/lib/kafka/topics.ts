import type { Kafka } from "kafkajs";

/** Creates the topic unless it exists; an existing topic keeps its partitions. Safe to run concurrently:
 * creating a topic that exists is no error. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Asking first keeps the broker from logging a creation error on every start.
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
