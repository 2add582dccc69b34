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
  processor: { groupId: string; input: string; deadLetterTopic: string; results: string[] };
  log: Logger;
};

/** The nodes, the topic, its consumer group and dead letters, and the newest records, as Kafka sees them now. */
export function inspectionRoute({ admin, cluster, tail, live, topics, processor, log }: InspectionDeps) {
  /** Records a topic holds; 0 for one not made yet. */
  const held = (client: Admin, topic: string) =>
    describeTopic(client, topic).then(
      (view) => ({ topic, records: view.records }),
      () => ({ topic, records: 0 }),
    );
  return async (): Promise<Reply> => {
    try {
      const client = await admin();
      const ends = await client.fetchTopicOffsets(topics.topic);
      const [nodes, topic, deadLetters, group, latest, processorGroup, processorOnMessages, processorTopics] = await Promise.all([
        cluster(),
        describeTopic(client, topics.topic, ends),
        held(client, topics.deadLetterTopic),
        describeGroup(client, topics.groupId, topics.topic, ends),
        tail.latest(),
        describeGroup(client, processor.groupId, processor.input).catch(() => noGroup(processor.groupId)),
        describeGroup(client, processor.groupId, topics.topic, ends),
        Promise.all([processor.input, processor.deadLetterTopic, ...processor.results].map((each) => held(client, each))),
      ]);
      const body: Inspection = {
        at: Date.now(),
        live: live(),
        cluster: nodes,
        topic,
        deadLetters: { topic: deadLetters.topic, records: deadLetters.records },
        group,
        processor: { group: processorGroup, messagesLag: processorOnMessages.totalLag, topics: processorTopics },
        latest,
      };
      return jsonReply(200, body, { "Cache-Control": "no-store" });
    } catch (error) {
      log.warn("inspection failed", errorFields(error));
      return errorReply(new ApiError(503, "kafka_unavailable", "Kafka cannot be inspected right now: it is unreachable."));
    }
  };
}

/** A group whose topic is not there yet. */
const noGroup = (groupId: string) => ({ groupId, state: "Unknown", members: [], lag: [], totalLag: 0 });
