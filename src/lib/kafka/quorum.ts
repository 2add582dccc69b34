import { connect } from "node:net";

// kafkajs predates KRaft and cannot ask who leads the controller quorum: its Metadata answer names a random
// broker as "controller" on Kafka 4. DescribeQuorum (API 55) names the active controller and the voters. A
// broker forwards it to the controllers, so any bootstrap address will do. This is the whole client for it.

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
export function describeQuorum(broker: string, timeoutMs = 2000): Promise<Quorum> {
  const [host = "127.0.0.1", port = "9092"] = broker.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no DescribeQuorum answer from ${broker} within ${timeoutMs} ms`)));
    socket.once("error", fail);
    socket.once("connect", () => socket.write(describeQuorumRequest(1)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.end();
      try {
        resolve(parseDescribeQuorum(received.subarray(4, 4 + received.readInt32BE(0))));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** A size-prefixed DescribeQuorum v1 request for partition 0 of the metadata log. */
export function describeQuorumRequest(correlationId: number): Buffer {
  const clientId = Buffer.from("message-board");
  const topic = Buffer.from(METADATA_TOPIC);
  const header = Buffer.alloc(10);
  header.writeInt16BE(DESCRIBE_QUORUM, 0);
  header.writeInt16BE(VERSION, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const partition = Buffer.alloc(4);
  partition.writeInt32BE(0);
  // Flexible versions: compact arrays and strings carry their length plus one; every struct ends in tags.
  const body = Buffer.concat([
    header,
    clientId,
    Buffer.from([0]), // header tags
    Buffer.from([2, topic.length + 1]), // one topic, its name's length
    topic,
    Buffer.from([2]), // one partition
    partition,
    Buffer.from([0, 0, 0]), // partition, topic and request tags
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Reads a DescribeQuorum v1 response (without its size prefix). */
export function parseDescribeQuorum(response: Buffer): Quorum {
  const reader = new Reader(response);
  reader.int32(); // correlation id
  reader.skipTags();
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

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer.readUInt8(this.offset++);
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A compact array's element count (null counts as empty). */
  arrayLength(): number {
    return Math.max(0, this.uvarint() - 1);
  }

  string(): string {
    const length = this.arrayLength();
    const value = this.buffer.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skipTags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.offset += this.uvarint();
    }
  }
}
