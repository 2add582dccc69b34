// The stream processor: reactions and messages in, reaction counts and board activity out, exactly once
// (see src/lib/processor/exactly-once.ts). Run it with `npm run kafka:processor`; run it twice to see the
// group share the partitions. Its composition root: every client it uses is made here.
import nextEnv from "@next/env";
import { configOrExit } from "../src/lib/config";
import { createKafka } from "../src/lib/kafka/client";
import { ensureBoardTopics, ensureReactionTopics } from "../src/lib/kafka/topics";
import { createLogger, errorFields } from "../src/lib/log";
import { startExactlyOnce } from "../src/lib/processor/exactly-once";
import { activityStage, reactionStage } from "../src/lib/processor/stages";
import { stopOnSignals } from "../src/lib/shutdown";

nextEnv.loadEnvConfig(process.cwd());
const config = configOrExit(process.env);
const log = createLogger("processor", config);

try {
  const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-processor`, log);
  await ensureBoardTopics(kafka, config)
    .then(() => ensureReactionTopics(kafka, config))
    .catch((error: unknown) => {
      throw new Error(`is Kafka running at ${config.KAFKA_BROKERS.join(",")}? ${String(errorFields(error).error)}`);
    });
  let read = 0;
  let written = 0;
  const processor = await startExactlyOnce({
    kafka,
    groupId: config.PROCESSOR_GROUP,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    stages: [
      reactionStage({ input: config.KAFKA_REACTIONS_TOPIC, result: config.KAFKA_REACTION_COUNTS_TOPIC, deadLetter: config.KAFKA_REACTIONS_DLQ_TOPIC }),
      activityStage({ input: config.KAFKA_TOPIC, result: config.KAFKA_ACTIVITY_TOPIC }),
    ],
    log,
    onCommit: (_topic, _partition, records, results) => {
      read += records;
      written += results;
    },
  });
  log.info("processor started", { groupId: config.PROCESSOR_GROUP, topics: [config.KAFKA_REACTIONS_TOPIC, config.KAFKA_TOPIC] });
  const report = setInterval(() => {
    if (read > 0) log.info("processed", { records: read, results: written });
    read = written = 0;
  }, 10_000).unref();
  stopOnSignals(log, async () => {
    clearInterval(report);
    await processor.stop();
  });
} catch (error) {
  log.error("the processor could not start", errorFields(error));
  process.exit(1);
}
