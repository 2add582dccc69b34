// The consumer process: Kafka topic -> Redis store, and (with DATABASE_URL set) Kafka topic -> PostgreSQL
// history, as two consumer groups. Run it with `npm run kafka:consumer`; run it twice to see each group
// share the topic's partitions. This is its composition root: every client it uses is made here.
import type { AddressInfo } from "node:net";
import nextEnv from "@next/env";
import { configOrExit } from "../src/lib/config";
import { startBoardConsumer } from "../src/lib/consumer/board-consumer";
import { startHistoryConsumer, type HistoryConsumerOptions } from "../src/lib/consumer/history-consumer";
import { createDatabase, type Database } from "../src/lib/history/database";
import { newestWithOffsets } from "../src/lib/history/message-history";
import type { RecentSource } from "../src/lib/consumer/store-refill";
import { migrate } from "../src/lib/history/migrations";
import { createConsumerMetrics, serveMetrics, type ConsumerMetrics } from "../src/lib/consumer/metrics";
import { createKafka } from "../src/lib/kafka/client";
import { readLogIdentity } from "../src/lib/kafka/log-identity";
import { ensureBoardTopics, ensureReactionTopics } from "../src/lib/kafka/topics";
import { historyResults, redisResults, startResultsConsumer } from "../src/lib/consumer/results-consumer";
import { createLogger, errorFields, type Logger } from "../src/lib/log";
import { stopOnSignals } from "../src/lib/shutdown";
import { rebuildNotices } from "../src/lib/store/followed-log";
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

  await ensureBoardTopics(kafka, config)
    .then(() => ensureReactionTopics(kafka, config))
    .catch((error: unknown) => {
      throw new Error(`is Kafka running at ${config.KAFKA_BROKERS.join(",")}? ${String(errorFields(error).error)}`);
    });
  const historyLog = createLogger("history", config);
  const database = config.DATABASE_URL ? createDatabase(config.DATABASE_URL, "message-board-history", historyLog) : undefined;
  const keys = storeKeys(config);
  // Which log each topic is, asked of Kafka itself; views of another log are rebuilt, and say so in /api/ready.
  const identify = (topic: string) => readLogIdentity(config.KAFKA_BROKERS, topic);
  const notices = rebuildNotices(redis, keys);
  const consumer = await startBoardConsumer({
    kafka,
    redis,
    identify,
    notices,
    // An emptied store is refilled from history when there is one, and from the log otherwise.
    recent: database && recentFromHistory(database, config.KAFKA_TOPIC),
    keys,
    topic: config.KAFKA_TOPIC,
    boardsTopic: config.KAFKA_BOARDS_TOPIC,
    deadLetterTopic: config.KAFKA_DLQ_TOPIC,
    groupId: config.KAFKA_CONSUMER_GROUP,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    limits: { history: config.MESSAGES_LIMIT, dedupeWindow: config.MESSAGES_DEDUPE_WINDOW },
    metrics,
    log,
  });
  const results = await startResultsConsumer({
    kafka,
    view: redisResults(redis, keys),
    topics: { reactions: config.KAFKA_REACTION_COUNTS_TOPIC, activity: config.KAFKA_ACTIVITY_TOPIC },
    groupId: config.RESULTS_CONSUMER_GROUP,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    log,
  });
  log.info("consumer started", { brokers: config.KAFKA_BROKERS, topic: config.KAFKA_TOPIC, groupId: config.KAFKA_CONSUMER_GROUP });

  const history = config.DATABASE_URL && database ? startHistory(config.DATABASE_URL, database, historyLog, metrics, { identify, notices }) : undefined;
  if (!history) log.info("no lasting history: DATABASE_URL is not set");

  stopOnSignals(log, async () => {
    await history?.stop();
    await Promise.all([consumer.stop(), results.stop()]);
    metricsServer?.close();
    await redis.quit();
  });
} catch (error) {
  log.error("the consumer could not start", errorFields(error));
  process.exit(1);
}

/**
 * History waits for PostgreSQL without holding up the board: until the database answers, the board's store
 * runs alone and this says why every few seconds.
 */
function startHistory(
  url: string,
  database: Database,
  log: Logger,
  metrics: ConsumerMetrics,
  logs: Pick<HistoryConsumerOptions, "identify" | "notices">,
): { stop(): Promise<void> } {
  const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-history`, log);
  let stopped = false;
  let running: { stop(): Promise<void> } | undefined;
  let reactions: { stop(): Promise<void> } | undefined;
  const starting = (async () => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        const applied = await migrate(database);
        if (applied.length > 0) log.info("applied schema migrations", { applied });
        break;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) log.warn("PostgreSQL is not reachable: history waits for it", { ...errorFields(error), url: redacted(url) });
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
    if (stopped) return;
    running = await startHistoryConsumer({
      kafka,
      database,
      databaseUrl: url,
      topic: config.KAFKA_TOPIC,
      groupId: config.HISTORY_CONSUMER_GROUP,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      ...logs,
      log,
      metrics,
    });
    log.info("history consumer started", { groupId: config.HISTORY_CONSUMER_GROUP });
    reactions = await startResultsConsumer({
      kafka,
      view: historyResults(database),
      topics: { reactions: config.KAFKA_REACTION_COUNTS_TOPIC, activity: config.KAFKA_ACTIVITY_TOPIC },
      groupId: config.HISTORY_RESULTS_GROUP,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      log,
    });
  })().catch((error: unknown) => log.error("the history consumer could not start", errorFields(error)));
  return {
    async stop() {
      stopped = true;
      await starting;
      await Promise.all([running?.stop(), reactions?.stop()]);
      await database.end();
    },
  };
}

/** A database URL fit for a log line: without its password. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/** Each board's newest messages from PostgreSQL, as records to refill the store with. */
function recentFromHistory(database: Database, topic: string): RecentSource {
  return async (limit) => {
    const { messages, nextOffsets, log } = await newestWithOffsets(database, topic, limit);
    const recent = messages.map(({ partition, offset, appendedAt, ...entry }) => ({ partition, offset, appendedAt, entry }));
    return { recent, nextOffsets, log, from: "PostgreSQL" };
  };
}
