import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { stageHistogram } from "../metrics/pipeline-stages";

/** What the consumer counts, served for Prometheus on its own port. */
export function createConsumerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    consumed: new Counter({ name: "board_records_consumed_total", help: "Records read from the topic", registers: [registry] }),
    stored: new Counter({ name: "board_messages_stored_total", help: "Messages newly stored (a replay stores none)", registers: [registry] }),
    deadLettered: new Counter({ name: "board_records_dead_lettered_total", help: "Records copied to the dead-letter topic", registers: [registry] }),
    redisErrors: new Counter({ name: "board_redis_errors_total", help: "Failed Redis writes (each retried)", registers: [registry] }),
    historyStored: new Counter({
      name: "board_history_stored_total",
      help: "Messages newly written to PostgreSQL (a replay writes none)",
      registers: [registry],
    }),
    postgresErrors: new Counter({ name: "board_postgres_errors_total", help: "Failed PostgreSQL writes (each retried)", registers: [registry] }),
    offsetsOutOfRange: new Counter({
      name: "board_offsets_out_of_range_total",
      help: "Times Kafka had no record at a consumer's position and moved it back to the start of the log",
      labelNames: ["group"] as const,
      registers: [registry],
    }),
    viewsRebuilt: new Counter({
      name: "board_views_rebuilt_total",
      help: "Times a view was found to follow another log than Kafka's and was rebuilt from the current one",
      labelNames: ["view"] as const,
      registers: [registry],
    }),
    lag: new Gauge({
      name: "board_consumer_lag",
      help: "Records behind the end of each partition, after the last batch",
      labelNames: ["partition"] as const,
      registers: [registry],
    }),
    stageSeconds: stageHistogram(registry),
  };
}
export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/** GET /metrics on `port`; everything else is 404. */
export function serveMetrics(registry: Registry, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "Content-Type": registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve(server));
  });
}
