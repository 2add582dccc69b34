import { Partitioners, type Kafka, type Message as KafkaRecord, type Producer, type RecordMetadata } from "kafkajs";
import type { Message, MessageChange } from "../messages/schema";
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
  private producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(private readonly kafka: Kafka) {
    this.producer = this.newProducer();
  }

  /** Resolves once every in-sync replica has the records, so that they survive the loss of a broker. */
  async send(topic: string, records: KafkaRecord[]): Promise<RecordMetadata[]> {
    const producer = this.producer;
    try {
      await this.connect();
      return await producer.send({ topic, acks: -1, messages: records });
    } catch (error) {
      this.replace(producer);
      throw new KafkaUnavailableError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  async disconnect(): Promise<void> {
    this.connected = undefined;
    await this.producer.disconnect();
  }

  /** Connects now rather than on the first send; if that fails, the first send tries again. */
  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  private newProducer(): Producer {
    const producer = this.kafka.producer({
      // Idempotence makes the broker drop a batch it already has when a retry resends it, so a retried
      // send never duplicates or reorders a record. It requires one request in flight per connection.
      idempotent: true,
      maxInFlightRequests: 1,
      // The Java client's partitioner: the same key lands on the same partition whichever client wrote it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = undefined;
    });
    return producer;
  }

  /**
   * kafkajs numbers each partition's batches, and takes a failed batch's numbers back, though the broker
   * may have written it (the leader died, or the answer was lost, after the write). The next batch of the
   * same size would then pass for that one sent again: acknowledged, and never written. A new producer has
   * a new id and numbers afresh. A post refused here and sent again may then be in the log twice, which
   * the consumers, keeping one copy of each message id, already allow for.
   */
  private replace(failed: Producer): void {
    if (failed !== this.producer) return;
    this.producer = this.newProducer();
    this.connected = undefined;
    failed.disconnect().catch(() => {});
  }
}

type Pending = { topic: string; key: string; record: KafkaRecord; bytes: number; resolve(ack: Acknowledgement): void; reject(error: unknown): void };

// Kafka refuses a record batch over 1 MB by default; stay well below it.
const MAX_BATCH_BYTES = 512 * 1024;

/**
 * The web process's one producer: messages onto the board's topic. Posts that arrive while a send is in
 * flight wait for it and then go together in one request (group commit): one post alone is sent at once,
 * many at a time share the broker's round trip, and each is answered when its own batch is acknowledged.
 * The idempotent producer allows one request in flight, so this is what lets ingest grow with load.
 */
export class MessageProducer extends DurableProducer {
  private waiting: Pending[] = [];
  private sending = false;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    super(kafka);
  }

  /** A message, or a change to one: on the message topic under its board, after what came before. */
  publish(message: Message | MessageChange, requestId?: string): Promise<Acknowledgement> {
    return this.publishTo(this.topic, encodeRecord(message, requestId));
  }

  /** Any keyed record, onto any topic, grouped with others of its topic and key the same way. */
  publishTo(topic: string, record: KafkaRecord & { key: string; value: string }): Promise<Acknowledgement> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ topic, key: record.key, record, bytes: Buffer.byteLength(record.value) + 100, resolve, reject });
      if (!this.sending) void this.sendWaiting();
    });
  }

  private async sendWaiting(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.takeBatch();
      try {
        // One key, one partition: the records sit there in order, from the base offset on.
        const [metadata] = await this.send(
          batch[0]?.topic ?? this.topic,
          batch.map((pending) => pending.record),
        );
        if (!metadata) throw new KafkaUnavailableError("the broker answered without a partition");
        const base = BigInt(metadata.baseOffset ?? metadata.offset ?? "0");
        batch.forEach((pending, i) => pending.resolve({ partition: metadata.partition, offset: String(base + BigInt(i)) }));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.sending = false;
  }

  /**
   * The waiting records with the first one's key, in the order they came, within the size limit. All of
   * them, not only the run at the front: posts to several boards arrive interleaved, and a run would then be
   * one record long, one round trip each. One key a request keeps a board whose partition fails from
   * holding up the others.
   */
  private takeBatch(): Pending[] {
    const key = this.waiting[0]?.key;
    const topic = this.waiting[0]?.topic;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    let bytes = 0;
    let full = false;
    for (const pending of this.waiting) {
      // Once one does not fit, the board's later records wait too, or they would overtake it.
      const same = pending.key === key && pending.topic === topic;
      full ||= same && batch.length > 0 && bytes + pending.bytes > MAX_BATCH_BYTES;
      if (!same || full) {
        rest.push(pending);
        continue;
      }
      bytes += pending.bytes;
      batch.push(pending);
    }
    this.waiting = rest;
    return batch;
  }
}
