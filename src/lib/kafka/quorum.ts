import { compactLength, compactString, exchange, flexibleRequest, Reader, TAGS } from "./wire";

// kafkajs predates KRaft and cannot ask who leads the controller quorum: its Metadata answer names a random
// broker as "controller" on Kafka 4. DescribeQuorum (API 55) names the active controller and the voters. A
// broker forwards it to the controllers, so any bootstrap address will do.

const DESCRIBE_QUORUM = 55;
const VERSION = 1;
const METADATA_TOPIC = "__cluster_metadata";

export type Quorum = {
  /** The node that is the active controller now; -1 while an election runs. */
  leaderId: number;
  /** The controllers' node ids, up or not. */
  voters: number[];
};

/** Asks `broker` (host:port) which node leads the controller quorum. */
export async function describeQuorum(broker: string, timeoutMs = 2000): Promise<Quorum> {
  return parseDescribeQuorum(await exchange(broker, describeQuorumRequest(1), "DescribeQuorum", timeoutMs));
}

/** A size-prefixed DescribeQuorum v1 request for partition 0 of the metadata log. */
export function describeQuorumRequest(correlationId: number): Buffer {
  const partition = Buffer.alloc(4);
  partition.writeInt32BE(0);
  return flexibleRequest(DESCRIBE_QUORUM, VERSION, correlationId, [
    compactLength(1), // one topic
    compactString(METADATA_TOPIC),
    compactLength(1), // one partition
    partition,
    TAGS, // the partition's
    TAGS, // the topic's
    TAGS, // the request's
  ]);
}

/** Reads a DescribeQuorum v1 response (without its size prefix). */
export function parseDescribeQuorum(response: Buffer): Quorum {
  const reader = new Reader(response);
  reader.header();
  const errorCode = reader.int16();
  if (errorCode !== 0) throw new Error(`DescribeQuorum failed with error code ${errorCode}`);
  // One topic and one partition were asked for: the answer holds exactly those.
  if (reader.arrayLength() !== 1) throw new Error("DescribeQuorum answered without the metadata topic");
  reader.string(); // topic name
  if (reader.arrayLength() !== 1) throw new Error("DescribeQuorum answered without the metadata partition");
  reader.int32(); // partition index
  const partitionError = reader.int16();
  if (partitionError !== 0) throw new Error(`DescribeQuorum failed for the metadata partition with error code ${partitionError}`);
  const leaderId = reader.int32();
  reader.int32(); // leader epoch
  reader.int64(); // high watermark
  const voters = Array.from({ length: reader.arrayLength() }, () => {
    const id = reader.int32();
    reader.int64(); // log end offset
    reader.int64(); // last fetch
    reader.int64(); // last caught up
    reader.skipTags();
    return id;
  });
  return { leaderId, voters };
}
