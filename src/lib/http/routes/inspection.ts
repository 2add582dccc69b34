import type { Admin } from "kafkajs";
import type { Inspection } from "../../inspection";
import { describeGroup, describeTopic, type ClusterView } from "../../kafka/cluster-view";
import type { TopicTail } from "../../kafka/topic-tail";
import { errorFields, type Logger } from "../../log";
import { ApiError, errorReply } from "../api-error";
import { jsonReply, type Reply } from "../call";

export type InspectionDeps = {
  admin(): Promise<Admin>;
  cluster(): Promise<ClusterView>;
  tail: Pick<TopicTail, "latest">;
  live(): Inspection["live"];
  topics: { topic: string; deadLetterTopic: string; groupId: string };
  log: Logger;
};

/** The nodes, the topic, its consumer group and dead letters, and the newest records, as Kafka sees them now. */
export function inspectionRoute({ admin, cluster, tail, live, topics, log }: InspectionDeps) {
  return async (): Promise<Reply> => {
    try {
      const client = await admin();
      const ends = await client.fetchTopicOffsets(topics.topic);
      const [nodes, topic, deadLetters, group, latest] = await Promise.all([
        cluster(),
        describeTopic(client, topics.topic, ends),
        describeTopic(client, topics.deadLetterTopic).catch(() => ({ topic: topics.deadLetterTopic, records: 0 })),
        describeGroup(client, topics.groupId, topics.topic, ends),
        tail.latest(),
      ]);
      const body: Inspection = {
        at: Date.now(),
        live: live(),
        cluster: nodes,
        topic,
        deadLetters: { topic: deadLetters.topic, records: deadLetters.records },
        group,
        latest,
      };
      return jsonReply(200, body, { "Cache-Control": "no-store" });
    } catch (error) {
      log.warn("inspection failed", errorFields(error));
      return errorReply(new ApiError(503, "kafka_unavailable", "Kafka cannot be inspected right now: it is unreachable."));
    }
  };
}
