// The consumer process: Kafka topic -> Redis store. Run it with `npm run kafka:consumer`; run it twice to
// see the consumer group share the topic's partitions. This is its composition root: every client it
// uses is made here and passed in.
import type { AddressInfo } from "node:net";
import nextEnv from "@next/env";
import { configOrExit } from "../src/lib/config";
import { startBoardConsumer } from "../src/lib/consumer/board-consumer";
import { createConsumerMetrics, serveMetrics } from "../src/lib/consumer/metrics";
import { createKafka } from "../src/lib/kafka/client";
import { ensureBoardTopics } from "../src/lib/kafka/topics";
import { createLogger, errorFields } from "../src/lib/log";
import { stopOnSignals } from "../src/lib/shutdown";
import { storeKeys } from "../src/lib/store/keys";
import { createRedis } from "../src/lib/store/redis";

nextEnv.loadEnvConfig(process.cwd());
const config = configOrExit(process.env);
const log = createLogger("consumer", config);

try {
  const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-consumer`, log);
  const redis = createRedis(config.REDIS_URL, "message-board-consumer");
  redis.on("error", (error) => log.warn("Redis connection error", errorFields(error)));
  const metrics = createConsumerMetrics();
  const metricsPort = config.CONSUMER_METRICS_PORT;
  const metricsServer =
    metricsPort === "off"
      ? undefined
      : await serveMetrics(metrics.registry, metricsPort).catch((error: unknown) => {
          log.warn(`metrics not served: port ${metricsPort} is not free`, errorFields(error));
          return undefined;
        });
  if (metricsServer) log.info("metrics served", { url: `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics` });

  await ensureBoardTopics(kafka, config).catch((error: unknown) => {
    throw new Error(`is Kafka running at ${config.KAFKA_BROKERS.join(",")}? ${String(errorFields(error).error)}`);
  });
  const consumer = await startBoardConsumer({
    kafka,
    redis,
    keys: storeKeys(config),
    topic: config.KAFKA_TOPIC,
    deadLetterTopic: config.KAFKA_DLQ_TOPIC,
    groupId: config.KAFKA_CONSUMER_GROUP,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    limits: { history: config.MESSAGES_LIMIT, dedupeWindow: config.MESSAGES_DEDUPE_WINDOW },
    metrics,
    log,
  });
  log.info("consumer started", { brokers: config.KAFKA_BROKERS, topic: config.KAFKA_TOPIC, groupId: config.KAFKA_CONSUMER_GROUP });

  stopOnSignals(log, async () => {
    await consumer.stop();
    metricsServer?.close();
    await redis.quit();
  });
} catch (error) {
  log.error("the consumer could not start", errorFields(error));
  process.exit(1);
}
