// The consumer process: Kafka topic -> Redis store. Run it with `npm run kafka:consumer`; run it twice to
// see the consumer group share the topic's partitions.
import nextEnv from "@next/env";
import { getConfig } from "../src/lib/config";
import { startBoardConsumer } from "../src/lib/kafka/board-consumer";
import { createKafka } from "../src/lib/kafka/client";
import { ensureBoardTopics } from "../src/lib/kafka/topics";
import { createConsumerMetrics, serveMetrics } from "../src/lib/metrics/consumer-metrics";
import { createLogger, errorFields } from "../src/lib/log";
import { storeKeys } from "../src/lib/store/keys";
import { createRedis } from "../src/lib/store/redis";

nextEnv.loadEnvConfig(process.cwd());
const config = getConfig();
const log = createLogger("consumer");

const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-consumer`);
const redis = createRedis(config.REDIS_URL, "message-board-consumer");
redis.on("error", (error) => log.warn("Redis connection error", errorFields(error)));

try {
  await ensureBoardTopics(kafka, config);
  const metrics = createConsumerMetrics();
  const metricsServer =
    config.CONSUMER_METRICS_PORT > 0
      ? await serveMetrics(metrics.registry, config.CONSUMER_METRICS_PORT).catch((error: unknown) => {
          log.warn(`metrics not served: port ${config.CONSUMER_METRICS_PORT} is not free`, errorFields(error));
          return undefined;
        })
      : undefined;
  if (metricsServer) log.info("metrics served", { url: `http://127.0.0.1:${config.CONSUMER_METRICS_PORT}/metrics` });
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

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    await consumer.stop();
    metricsServer?.close();
    await redis.quit();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
} catch (error) {
  log.error(`consumer could not start: is Kafka running at ${config.KAFKA_BROKERS.join(",")}?`, errorFields(error));
  process.exit(1);
}
