import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import type { Logger } from "../log";

export type TailRecord = { partition: number; offset: string; timestamp: string; key: string | null; value: string; headers: Record<string, string> };

const KEEP = 20;
const VALUE_PREVIEW = 500;

/**
 * The newest records of a topic, as Kafka holds them, whether or not anyone stored them: for the inspector.
 * A consumer of its own that commits nothing, started from the last few records of each partition on first
 * use, so that its group leaves no trace once it stops.
 */
export class TopicTail {
  private readonly records: TailRecord[] = [];
  private started: Promise<void> | undefined;
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly log: Logger,
  ) {}

  /** Newest first. */
  async latest(): Promise<TailRecord[]> {
    this.started ??= this.start().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    await this.started;
    return [...this.records].sort((a, b) => Number(b.timestamp) - Number(a.timestamp) || Number(b.offset) - Number(a.offset)).slice(0, KEEP);
  }

  /**
   * Leaves the group, waiting at most `waitMs`: a consumer still joining (a new group's first join waits
   * for the broker's initial rebalance delay, 3 s by default) would hold a stopping instance that long, for
   * a group nobody else uses and the broker forgets after its session times out.
   */
  async stop(waitMs = 300): Promise<void> {
    const left = this.consumer?.disconnect().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([left, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  private async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.topic).finally(() => admin.disconnect());
    // A fetch waits up to maxWaitTimeInMs for records, and leaving waits for the fetch: at kafkajs's 5 s
    // default, an instance whose inspector had been opened took 5 s longer to stop.
    const consumer = this.kafka.consumer({ groupId: `inspector-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.records.push({
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key?.toString() ?? null,
          value: (message.value?.toString() ?? "").slice(0, VALUE_PREVIEW),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
        });
        if (this.records.length > KEEP * 2) this.records.splice(0, this.records.length - KEEP);
      },
    });
    for (const { partition, low, high } of ends) {
      consumer.seek({ topic: this.topic, partition, offset: String(Math.max(Number(low), Number(high) - KEEP)) });
    }
    this.log.info("inspector is following the topic", { topic: this.topic });
  }
}
