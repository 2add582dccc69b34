import { Partitioners, type Kafka, type Producer } from "kafkajs";
import type { Message } from "../messages/schema";
import { encodeRecord } from "./record";

/** Where the broker put an accepted message. */
export type Acknowledgement = { partition: number; offset: string };

export class KafkaUnavailableError extends Error {
  override name = "KafkaUnavailableError";
}

/**
 * The one producer of a process. Connects on first use (so that `next build` needs no broker) and again
 * after the broker went away.
 */
export class MessageProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({
      // Idempotence makes the broker drop a batch it already has when a retry resends it, so a retried
      // send never duplicates or reorders a message. It requires one request in flight per connection.
      idempotent: true,
      maxInFlightRequests: 1,
      // The Java client's partitioner: the same key lands on the same partition whichever client wrote it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = undefined;
    });
  }

  /** Resolves once every in-sync replica has the message, so an acknowledged message survives a broker loss. */
  async publish(message: Message): Promise<Acknowledgement> {
    try {
      await this.connect();
      const [metadata] = await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [encodeRecord(message)],
      });
      if (!metadata) throw new Error("the broker answered without a partition");
      return { partition: metadata.partition, offset: String(metadata.baseOffset ?? metadata.offset) };
    } catch (error) {
      throw new KafkaUnavailableError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async disconnect(): Promise<void> {
    this.connected = undefined;
    await this.producer.disconnect();
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }
}
