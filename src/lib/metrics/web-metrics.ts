import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the web process counts, for Prometheus at /api/metrics. */
export function createWebMetrics(viewers: () => number) {
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
    eventsSent: new Counter({ name: "board_events_sent_total", help: "Message events written to viewers' streams", registers: [registry] }),
    redisErrors: new Counter({ name: "board_redis_errors_total", help: "Redis connection errors", registers: [registry] }),
  };
}
export type WebMetrics = ReturnType<typeof createWebMetrics>;
