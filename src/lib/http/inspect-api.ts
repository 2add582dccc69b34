import "server-only";
import { describeGroup, describeTopic } from "../kafka/cluster-view";
import { errorFields } from "../log";
import { services } from "../web/services";
import { ApiError, errorResponse } from "./api-error";
import type { Inspection } from "../inspection";

/** The topic, its consumer group and dead letters, and the newest records, as Kafka sees them now. */
export async function inspect(): Promise<Response> {
  const { admin, config, tail, log } = services();
  try {
    const client = await admin();
    const ends = await client.fetchTopicOffsets(config.KAFKA_TOPIC);
    const [topic, deadLetters, group, latest] = await Promise.all([
      describeTopic(client, config.KAFKA_TOPIC, ends),
      describeTopic(client, config.KAFKA_DLQ_TOPIC).catch(() => ({ topic: config.KAFKA_DLQ_TOPIC, records: 0 })),
      describeGroup(client, config.KAFKA_CONSUMER_GROUP, config.KAFKA_TOPIC, ends),
      tail.latest(),
    ]);
    const body: Inspection = { at: Date.now(), topic, deadLetters: { topic: deadLetters.topic, records: deadLetters.records }, group, latest };
    return Response.json(body, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    log.warn("inspection failed", errorFields(error));
    return errorResponse(new ApiError(503, "kafka_unavailable", "Kafka cannot be inspected right now: it is unreachable."));
  }
}
