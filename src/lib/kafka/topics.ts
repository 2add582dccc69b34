import type { Admin, Kafka } from "kafkajs";
import type { Config } from "../config";

type TopicConfig = { name: string; value: string }[];

/** Creates the topic unless it exists; an existing topic keeps its partitions and settings. Safe to run
 * concurrently: creating a topic that exists is no error. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number, configEntries: TopicConfig = [], replicationFactor?: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Asking first keeps the broker from logging a creation error on every start.
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: false });
    await leadersElected(admin, topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Until every partition of a new topic has a leader. kafkajs's own wait gives up when the broker it asks
 * has not heard of the topic yet, which in a cluster is normal for a moment.
 */
async function leadersElected(admin: Admin, topic: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => ({ topics: [] }));
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length > 0 && partitions.every((partition) => partition.leader >= 0)) return;
    if (Date.now() > deadline) throw new Error(`topic ${topic} has partitions without a leader after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What keeps an acknowledged record when a node fails: with three copies or more, a write needs two of
 * them, and a replica that missed writes never becomes leader. Unset, the cluster's defaults decide.
 */
export function replicationSettings(replicationFactor: number | undefined): TopicConfig {
  const settings = [{ name: "unclean.leader.election.enable", value: "false" }];
  if (replicationFactor === undefined) return settings;
  return [...settings, { name: "min.insync.replicas", value: replicationFactor >= 3 ? "2" : "1" }];
}

/**
 * The board's topic, its dead-letter topic and the boards topic. The board's records take the broker's clock as their
 * timestamp (LogAppendTime), so each message carries the moment Kafka appended it, and they are kept for
 * KAFKA_RETENTION_MS (forever by default).
 */
export async function ensureBoardTopics(
  kafka: Kafka,
  config: Pick<Config, "KAFKA_TOPIC" | "KAFKA_TOPIC_PARTITIONS" | "KAFKA_DLQ_TOPIC" | "KAFKA_BOARDS_TOPIC" | "KAFKA_REPLICATION_FACTOR" | "KAFKA_RETENTION_MS">,
): Promise<void> {
  const replication = replicationSettings(config.KAFKA_REPLICATION_FACTOR);
  const factor = config.KAFKA_REPLICATION_FACTOR;
  await ensureTopic(
    kafka,
    config.KAFKA_TOPIC,
    config.KAFKA_TOPIC_PARTITIONS,
    [{ name: "message.timestamp.type", value: "LogAppendTime" }, { name: "retention.ms", value: String(config.KAFKA_RETENTION_MS) }, ...replication],
    factor,
  );
  await ensureTopic(kafka, config.KAFKA_DLQ_TOPIC, 1, replication, factor);
  // Boards are few and read whole whenever the list of boards is rebuilt: one partition, kept forever.
  await ensureTopic(kafka, config.KAFKA_BOARDS_TOPIC, 1, [{ name: "retention.ms", value: "-1" }, ...replication], factor);
}

/**
 * The reactions topic and its dead letters, partitioned as the message topic; the processor's result
 * topics, compacted (the latest record of each key is the state of that message or board) and with as many
 * partitions as their inputs, so that the same key lands on the same partition number in both.
 */
export async function ensureReactionTopics(
  kafka: Kafka,
  config: Pick<
    Config,
    | "KAFKA_TOPIC_PARTITIONS"
    | "KAFKA_REPLICATION_FACTOR"
    | "KAFKA_REACTIONS_TOPIC"
    | "KAFKA_REACTIONS_DLQ_TOPIC"
    | "KAFKA_REACTION_COUNTS_TOPIC"
    | "KAFKA_ACTIVITY_TOPIC"
  >,
): Promise<void> {
  const replication = replicationSettings(config.KAFKA_REPLICATION_FACTOR);
  const factor = config.KAFKA_REPLICATION_FACTOR;
  const partitions = config.KAFKA_TOPIC_PARTITIONS;
  const compacted = [{ name: "cleanup.policy", value: "compact" }, ...replication];
  await ensureTopic(kafka, config.KAFKA_REACTIONS_TOPIC, partitions, [{ name: "retention.ms", value: "-1" }, ...replication], factor);
  await ensureTopic(kafka, config.KAFKA_REACTIONS_DLQ_TOPIC, 1, replication, factor);
  await ensureTopic(kafka, config.KAFKA_REACTION_COUNTS_TOPIC, partitions, compacted, factor);
  await ensureTopic(kafka, config.KAFKA_ACTIVITY_TOPIC, partitions, compacted, factor);
}
