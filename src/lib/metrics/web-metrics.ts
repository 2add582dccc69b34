import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * What the web process counts, for Prometheus at /api/metrics. `underReplicated` asks Kafka when scraped;
 * when Kafka does not answer, the gauge keeps what it said last and the scrape still succeeds.
 */
export function createWebMetrics(viewers: () => number, underReplicated: () => Promise<number> = async () => 0) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    accepted: new Counter({ name: "board_messages_accepted_total", help: "Posts the broker acknowledged", registers: [registry] }),
    rejected: new Counter({
      name: "board_messages_rejected_total",
      help: "Posts refused, by the error code answered",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    produceSeconds: new Histogram({
      name: "board_produce_duration_seconds",
      help: "Time from sending a message to Kafka to its acknowledgement by all in-sync replicas",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    viewers: new Gauge({
      name: "board_viewers",
      help: "Open live-update streams",
      registers: [registry],
      collect() {
        this.set(viewers());
      },
    }),
    underReplicated: new Gauge({
      name: "board_kafka_under_replicated_partitions",
      help: "Partitions of the Kafka cluster with fewer in-sync replicas than replicas",
      registers: [registry],
      async collect() {
        const count = await underReplicated().catch(() => undefined);
        if (count !== undefined) this.set(count);
      },
    }),
    eventsSent: new Counter({ name: "board_events_sent_total", help: "Message events written to viewers' streams", registers: [registry] }),
    redisErrors: new Counter({ name: "board_redis_errors_total", help: "Redis connection errors", registers: [registry] }),
  };
}
export type WebMetrics = ReturnType<typeof createWebMetrics>;
