import "server-only";
import { getConfig, type Config } from "../config";
import { createKafka } from "../kafka/client";
import { MessageProducer } from "../kafka/producer";
import { createLogger, errorFields, type Logger } from "../log";
import type { History } from "../messages/schema";
import { RateLimiter } from "../http/rate-limit";
import { BoardHub } from "../realtime/board-hub";
import { StreamGate } from "../realtime/stream-gate";
import { storeKeys, type StoreKeys } from "../store/keys";
import { readHead, readHistory } from "../store/message-store";
import { createRedis } from "../store/redis";
import type { Redis } from "ioredis";
import type { Admin } from "kafkajs";
import { createWebMetrics, type WebMetrics } from "../metrics/web-metrics";
import { TopicTail } from "../kafka/topic-tail";

/**
 * The web process's long-lived clients: one producer, one Redis connection, one Redis subscriber, and a
 * Kafka admin client for the readiness check and the inspector, connected on first use.
 */
export type Services = {
  config: Config;
  log: Logger;
  keys: StoreKeys;
  producer: MessageProducer;
  redis: Redis;
  hub: BoardHub;
  postLimiter: RateLimiter;
  streamGate: StreamGate;
  metrics: WebMetrics;
  admin(): Promise<Admin>;
  /** The topic's newest records, for the inspector; follows the topic from its first use. */
  tail: TopicTail;
  history(limit?: number): Promise<History>;
  /** True once the process is shutting down: new posts and streams are refused so they go elsewhere. */
  readonly closing: boolean;
  close(): Promise<void>;
};

// On globalThis, because dev-mode reloads and separately bundled entry points each get their own copy of
// this module, and there must still be one set of clients per process. Nothing connects until first use.
const holder = globalThis as typeof globalThis & { __messageBoardServices?: Services };

export function services(): Services {
  holder.__messageBoardServices ??= createServices();
  return holder.__messageBoardServices;
}

function createServices(): Services {
  const config = getConfig();
  const log = createLogger("web");
  const keys = storeKeys(config);
  const redis = createRedis(config.REDIS_URL, "message-board-web", { autoPipelining: true });
  let metrics: WebMetrics | undefined;
  redis.on("error", (error) => {
    metrics?.redisErrors.inc();
    log.warn("Redis connection error", errorFields(error));
  });
  const history = (limit = config.MESSAGES_LIMIT) => readHistory(redis, keys, limit);
  const subscriber = createRedis(config.REDIS_URL, "message-board-web-subscriber");
  const hub = new BoardHub({
    subscriber,
    channel: keys.channel,
    readHistory: () => history(),
    readHead: () => readHead(redis, keys),
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    log,
    onSent: (viewers) => metrics?.eventsSent.inc(viewers),
  });
  metrics = createWebMetrics(() => hub.viewerCount);
  const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-web`);
  const producer = new MessageProducer(kafka, config.KAFKA_TOPIC);
  const tail = new TopicTail(kafka, config.KAFKA_TOPIC, log);
  const adminClient = kafka.admin();
  let adminConnected: Promise<Admin> | undefined;
  const admin = () =>
    (adminConnected ??= adminClient.connect().then(
      () => adminClient,
      (error: unknown) => {
        adminConnected = undefined;
        throw error;
      },
    ));

  const postLimiter = new RateLimiter(redis, keys.rate, { perMinute: config.POSTS_PER_MINUTE, burst: config.POST_BURST }, log);
  const streamGate = new StreamGate({ perClient: config.STREAMS_PER_CLIENT, perProcess: config.STREAMS_PER_PROCESS });

  let closing = false;
  return {
    config,
    log,
    keys,
    producer,
    redis,
    hub,
    postLimiter,
    streamGate,
    metrics,
    admin,
    tail,
    history,
    get closing() {
      return closing;
    },
    async close() {
      closing = true;
      hub.close();
      await producer.disconnect().catch((error: unknown) => log.warn("producer disconnect failed", errorFields(error)));
      await Promise.all([adminClient.disconnect(), tail.stop()]).catch(() => {});
      redis.disconnect();
    },
  };
}

/**
 * Connects the producer at start-up, so that the first posts after a start do not wait for the broker's
 * handshake (a second or so, with every post behind them), and says at once whether Kafka is reachable.
 */
export function connectProducer(): void {
  const { producer, log, config } = services();
  producer.connect().then(
    () => log.info("connected to Kafka", { brokers: config.KAFKA_BROKERS }),
    (error: unknown) => log.warn("Kafka is unreachable; posts are refused until it is back", { brokers: config.KAFKA_BROKERS, ...errorFields(error) }),
  );
}

/**
 * Next closes its HTTP server on SIGTERM and SIGINT; this closes what the app opened beside it, which also
 * ends open streams, so that the server's close is not held up by them.
 */
export function closeServicesOnSignals(): void {
  const close = () => void holder.__messageBoardServices?.close();
  process.once("SIGTERM", close);
  process.once("SIGINT", close);
}
