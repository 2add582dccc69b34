import { randomUUID } from "node:crypto";
import { ensureReactionTopics } from "../../../src/lib/kafka/topics";
import { encodeReactionRecord } from "../../../src/lib/kafka/record";
import { REACTION_EMOJI, type Reaction } from "../../../src/lib/messages/reactions";
import { startExactlyOnce } from "../../../src/lib/processor/exactly-once";
import { reactionStage } from "../../../src/lib/processor/stages";
import { waitFor } from "../../stack/wait";
import { figure } from "../measure";
import { repeat, results, row } from "../report";
import type { BenchContext } from "../context";

const PER_MESSAGE = 10;

/**
 * Reactions through the stream processor: a backlog on the reactions topic (each message given reactions
 * by ten readers, some taken back), counted into the result topic exactly once, one transaction per batch.
 * Timed from the processor's start until its committed offsets reach the end of the topic.
 */
export async function reactions(ctx: BenchContext): Promise<void> {
  const { kafka, fresh, quiet, say, size } = ctx;
  say("Reactions through the processor…");
  const backlog = size.backlog;
  const drain = async () => {
    const board = await fresh();
    const topics = { input: `${board.id}.reactions`, result: `${board.id}.reaction-counts`, deadLetter: `${board.id}.reactions.dlq` };
    await ensureReactionTopics(kafka, {
      KAFKA_TOPIC_PARTITIONS: 3,
      KAFKA_REPLICATION_FACTOR: undefined,
      KAFKA_REACTIONS_TOPIC: topics.input,
      KAFKA_REACTIONS_DLQ_TOPIC: topics.deadLetter,
      KAFKA_REACTION_COUNTS_TOPIC: topics.result,
      KAFKA_ACTIVITY_TOPIC: `${board.id}.activity`,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let message = randomUUID();
    const at = new Date().toISOString();
    const records = Array.from({ length: backlog }, (_, i) => {
      if (i % PER_MESSAGE === 0) message = randomUUID();
      const reaction: Reaction = {
        message,
        board: "main",
        emoji: REACTION_EMOJI[i % 3]!,
        reactor: `reader-${String(i % PER_MESSAGE).padStart(16, "0")}`,
        on: i % 7 !== 6,
        at,
      };
      return encodeReactionRecord(reaction);
    });
    for (let i = 0; i < records.length; i += 5000) await producer.send({ topic: topics.input, acks: -1, messages: records.slice(i, i + 5000) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topics.input);
    const groupId = `${board.id}-processor`;
    const started = performance.now();
    const processor = await startExactlyOnce({ kafka, groupId, stages: [reactionStage(topics)], log: quiet });
    await waitFor(
      "the processor to commit the whole backlog",
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.input] });
        return ends.every(({ partition, high }) => committed?.partitions.find((each) => each.partition === partition)?.offset === high);
      },
      { timeoutMs: 600_000, intervalMs: 50 },
    );
    const elapsed = performance.now() - started;
    await processor.stop();
    await admin.disconnect();
    return (backlog / elapsed) * 1000;
  };
  const rate = figure(await repeat(size.runs, drain));
  results.reactions = { backlog, perMessage: PER_MESSAGE, processor: rate };
  row(`reactions through the processor, exactly once, backlog ${backlog.toLocaleString("en")}`, rate, undefined, "rec/s");
}
