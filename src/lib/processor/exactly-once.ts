import { Partitioners, type Admin, type Kafka, type KafkaMessage, type Message as KafkaRecord, type Producer } from "kafkajs";
import { errorFields, type Logger } from "../log";
import { groupConsumer, restartingRun, subscribeWhenKnown } from "../consumer/group";

/** A record to write, and where; `state`: it is its key's whole state, so only the batch's last of that key is written. */
export type Output = { topic: string; record: KafkaRecord; state?: boolean };

/**
 * One input topic's part in a processor: its state, per partition, is a fold of the partition's records,
 * so that it can be rebuilt by reading them again.
 */
export type Stage = {
  topic: string;
  /**
   * Where to start reading each taken partition again so that its state becomes what it was when
   * `committed` was committed (the records before it are folded in, and what they produced is not written
   * again); `low` is where the partition starts now.
   */
  replayFrom(admin: Admin, taken: readonly Taken[]): Promise<Map<number, string>>;
  /** Forgets a partition's state, before it is read again. */
  clear(partition: number): void;
  /** Folds one record into the partition's state; what it produces. */
  apply(partition: number, record: KafkaMessage): Output[];
};

/** A partition taken: its committed offset (its start, if nothing was committed yet) and its start. */
export type Taken = { partition: number; committed: string; low: string };

export type ExactlyOnceOptions = {
  kafka: Kafka;
  groupId: string;
  stages: Stage[];
  sessionTimeoutMs?: number;
  log: Logger;
  /** Told after each committed transaction: the input partition, how many records it read and wrote. */
  onCommit?: (topic: string, partition: number, read: number, written: number) => void;
};

/**
 * Consume, transform, produce: exactly once. Every batch of one input partition is one Kafka transaction
 * that holds what the batch produced and the group's new offset for that partition, so that they become
 * visible together (to read-committed readers) or not at all. A crash at any point leaves the last
 * committed transaction as the truth: its offset is where reading goes on, and the state is rebuilt by
 * folding the partition's records up to that offset again, writing nothing.
 *
 * Each input partition has its own transactional id (`<group>.<topic>.<partition>`). Taking a partition
 * initialises a producer with that id, which fences whichever process held it before (its transaction
 * aborted, or completed if it was already committing) before the committed offset is read; a member that
 * lost the partition cannot commit for it any more. kafkajs's `sendOffsets` carries no group generation
 * (KIP-447), so a transactional id per process would not fence a member that a rebalance left behind.
 */
export async function startExactlyOnce(options: ExactlyOnceOptions): Promise<{ stop(): Promise<void> }> {
  const { kafka, groupId, stages, log } = options;
  const stageOf = new Map(stages.map((stage) => [stage.topic, stage]));
  const topics = stages.map((stage) => stage.topic);
  const consumer = groupConsumer(kafka, groupId, log, options.sessionTimeoutMs);
  const admin = kafka.admin();
  const producers = new Map<string, Producer>();
  /** topic:partition → the committed offset it was taken at; records before it rebuild state only. */
  const replayUntil = new Map<string, bigint>();
  const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

  const fence = async (topic: string, partition: number): Promise<Producer> => {
    const key = keyOf(topic, partition);
    await producers
      .get(key)
      ?.disconnect()
      .catch(() => {});
    const producer = kafka.producer({
      transactionalId: `${groupId}.${key.replace(":", ".")}`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producers.set(key, producer);
    // Connecting initialises the transactional id: the broker ends what an earlier holder left open.
    await producer.connect();
    return producer;
  };

  /** Takes the partitions: fences earlier holders, then reads each again from where its state begins. */
  const take = async (assigned: Record<string, number[]>) => {
    const byTopic = Object.entries(assigned);
    await Promise.all(byTopic.flatMap(([topic, partitions]) => partitions.map((partition) => fence(topic, partition))));
    const committed = await admin.fetchOffsets({ groupId, topics: Object.keys(assigned) });
    for (const [topic, partitions] of byTopic) {
      const stage = stageOf.get(topic);
      if (!stage) continue;
      const lows = new Map((await admin.fetchTopicOffsets(topic)).map((each) => [each.partition, each.low]));
      const offsets = committed.find((each) => each.topic === topic)?.partitions ?? [];
      const taken = partitions.map((partition): Taken => {
        const low = lows.get(partition) ?? "0";
        const offset = offsets.find((each) => each.partition === partition)?.offset ?? "-1";
        // Never committed: the whole partition is new input.
        return { partition, low, committed: offset === "-1" ? low : offset };
      });
      const from = await stage.replayFrom(admin, taken);
      for (const { partition, committed: until } of taken) {
        stage.clear(partition);
        replayUntil.set(keyOf(topic, partition), BigInt(until));
        consumer.seek({ topic, partition, offset: from.get(partition) ?? until });
      }
    }
  };

  // Batches wait for the partitions to be taken. A failure (Kafka away) is said here, where the promise is
  // made, and makes the batch that awaits it fail, which starts the consumer again.
  let settled: Promise<void> = Promise.resolve();
  const settle = (partitions: Record<string, number[]>) => {
    settled = take(partitions);
    settled.catch((error: unknown) => log.warn("could not take the assigned partitions; the consumer starts again", errorFields(error)));
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => settle(payload.memberAssignment));

  const running = restartingRun(consumer, log);
  const stop = async () => {
    await running.stop();
    await Promise.all([...producers.values()].map((producer) => producer.disconnect().catch(() => {})));
    await admin.disconnect();
  };
  try {
    await admin.connect();
    await consumer.connect();
    await subscribeWhenKnown(consumer, topics, log);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }

  await running.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 8,
    eachBatch: async ({ batch, resolveOffset, isStale }) => {
      await settled;
      if (isStale()) return;
      const { topic, partition } = batch;
      const stage = stageOf.get(topic);
      const key = keyOf(topic, partition);
      const until = replayUntil.get(key);
      const producer = producers.get(key);
      if (!stage || until === undefined || !producer) return;

      // Of states, only the last of each key: a result topic keeps the latest state of each.
      const outputs = new Map<string, Output>();
      let read = 0;
      let others = 0;
      for (const record of batch.messages) {
        const produced = stage.apply(partition, record);
        if (BigInt(record.offset) < until) continue;
        read++;
        for (const output of produced) outputs.set(output.state ? `${output.topic}\u0000${String(output.record.key)}` : `${record.offset}:${others++}`, output);
      }
      const next = BigInt(batch.lastOffset()) + 1n;
      if (next <= until) return resolveOffset(batch.lastOffset());

      const transaction = await producer.transaction();
      try {
        const byTopic = new Map<string, KafkaRecord[]>();
        for (const { topic: to, record } of outputs.values()) byTopic.set(to, [...(byTopic.get(to) ?? []), record]);
        for (const [to, messages] of byTopic) await transaction.send({ topic: to, acks: -1, messages });
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: next.toString() }] }] });
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        // The state has this batch folded in, which Kafka does not: rebuilt before the partition goes on.
        replayUntil.delete(key);
        settle({ [topic]: [partition] });
        throw error;
      }
      resolveOffset(batch.lastOffset());
      options.onCommit?.(topic, partition, read, outputs.size);
    },
  });
  return { stop };
}
