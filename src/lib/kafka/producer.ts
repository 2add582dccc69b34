import { Partitioners, type Kafka, type Message as KafkaRecord, type Producer, type RecordMetadata } from "kafkajs";
import type { Message } from "../messages/schema";
import { encodeRecord } from "./record";

/** Where the broker put an accepted message. */
export type Acknowledgement = { partition: number; offset: string };

export class KafkaUnavailableError extends Error {
  override name = "KafkaUnavailableError";
}

/**
 * An idempotent producer that waits for every in-sync replica. Connects on first use (so that `next build`
 * needs no broker) and again after the broker went away.
 */
export class DurableProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      // Idempotence makes the broker drop a batch it already has when a retry resends it, so a retried
      // send never duplicates or reorders a record. It requires one request in flight per connection.
      idempotent: true,
      maxInFlightRequests: 1,
      // The Java client's partitioner: the same key lands on the same partition whichever client wrote it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = undefined;
    });
  }

  /** Resolves once every in-sync replica has the records, so that they survive the loss of a broker. */
  async send(topic: string, records: KafkaRecord[]): Promise<RecordMetadata[]> {
    try {
      await this.connect();
      return await this.producer.send({ topic, acks: -1, messages: records });
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

/** The web process's one producer: messages onto the board's topic. */
export class MessageProducer extends DurableProducer {
  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    super(kafka);
  }

  async publish(message: Message, requestId?: string): Promise<Acknowledgement> {
    const [metadata] = await this.send(this.topic, [encodeRecord(message, requestId)]);
    if (!metadata) throw new KafkaUnavailableError("the broker answered without a partition");
    return { partition: metadata.partition, offset: String(metadata.baseOffset ?? metadata.offset) };
  }
}
