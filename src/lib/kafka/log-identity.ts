import { compactLength, compactString, exchange, firstAnswer, flexibleRequest, Reader, TAGS } from "./wire";

// A view keeps positions (partition, offset) in a log; they mean something only in that log. A topic made
// again under the same name, another cluster (a second data directory, a restore, a migration), Kafka's data
// removed: each is a new log whose offsets start again at 0, under the same topic name. Kafka tells them
// apart by the cluster's id and the topic's id (KIP-516), which it gives in Metadata answers from version 10
// on. kafkajs asks Metadata version 6 at most and never sees a topic id, so the board asks for itself.

const METADATA = 3;
const VERSION = 12;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** The log a topic name stands for now: which cluster, and which creation of the topic. */
export type LogIdentity = { clusterId: string; topicId: string };

/** The identity as one string, the form views record it in. */
export const logKey = ({ clusterId, topicId }: LogIdentity) => `${clusterId}/${topicId}`;

/** Asks the first of `brokers` (host:port) that answers which log `topic` is. */
export function readLogIdentity(brokers: readonly string[], topic: string, timeoutMs = 2000): Promise<LogIdentity> {
  const ask = async (broker: string) => parseMetadata(await exchange(broker, metadataRequest(1, topic), "Metadata", timeoutMs), topic);
  // A topic that does not exist is the same answer from every broker.
  return firstAnswer(brokers, ask, (error) => error instanceof UnknownTopic);
}

export class UnknownTopic extends Error {
  constructor(topic: string) {
    super(`Kafka has no topic ${topic}`);
  }
}

/** A size-prefixed Metadata v12 request for one topic, by name. */
export function metadataRequest(correlationId: number, topic: string): Buffer {
  return flexibleRequest(METADATA, VERSION, correlationId, [
    compactLength(1),
    Buffer.alloc(16), // no topic id: asked by name
    compactString(topic),
    TAGS, // the topic's
    Buffer.from([0, 0]), // no topic creation, no authorized operations
    TAGS, // the request's
  ]);
}

/** Reads a Metadata v12 answer (without its size prefix) for the one topic asked. */
export function parseMetadata(response: Buffer, topic: string): LogIdentity {
  const reader = new Reader(response);
  reader.header();
  reader.int32(); // throttle time
  for (let brokers = reader.arrayLength(); brokers > 0; brokers--) {
    reader.int32(); // node id
    reader.string(); // host
    reader.int32(); // port
    reader.string(); // rack
    reader.skipTags();
  }
  const clusterId = reader.string();
  reader.int32(); // controller
  if (reader.arrayLength() !== 1) throw new Error(`Metadata answered without the topic ${topic}`);
  const errorCode = reader.int16();
  reader.string(); // name
  const topicId = reader.uuid();
  if (errorCode === UNKNOWN_TOPIC_OR_PARTITION) throw new UnknownTopic(topic);
  if (errorCode !== 0) throw new Error(`Metadata for ${topic} failed with error code ${errorCode}`);
  if (!clusterId) throw new Error("Kafka answered without a cluster id");
  return { clusterId, topicId };
}
