import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { stageHistogram } from "./pipeline-stages";

export type KafkaGauges = {
  underReplicated(): Promise<number>;
  /** Members per consumer group of the app. */
  groupMembers(): Promise<Map<string, number>>;
};

/**
 * What the web process counts, for Prometheus at /api/metrics. The Kafka gauges ask Kafka when scraped;
 * when Kafka does not answer, each keeps what it said last and the scrape still succeeds.
 */
export function createWebMetrics(viewers: () => number, kafka?: KafkaGauges) {
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
        const count = await kafka?.underReplicated().catch(() => undefined);
        if (count !== undefined) this.set(count);
      },
    }),
    groupMembers: new Gauge({
      name: "board_consumer_group_members",
      help: "Members of each of the app's consumer groups, as the group coordinator reports them",
      labelNames: ["group"] as const,
      registers: [registry],
      async collect() {
        const members = await kafka?.groupMembers().catch(() => undefined);
        for (const [group, count] of members ?? []) this.set({ group }, count);
      },
    }),
    stageSeconds: stageHistogram(registry),
    eventsSent: new Counter({ name: "board_events_sent_total", help: "Message events written to viewers' streams", registers: [registry] }),
    redisErrors: new Counter({ name: "board_redis_errors_total", help: "Redis connection errors", registers: [registry] }),
  };
}
export type WebMetrics = ReturnType<typeof createWebMetrics>;
