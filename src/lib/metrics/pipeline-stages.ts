import { Histogram, type Registry } from "prom-client";

/**
 * How long messages spent in each stage of the pipeline, from the times each carries: accepted to appended
 * to the log ("append"), appended to read by the consumer ("consume"), read to stored in Redis ("store"),
 * stored to written to viewers ("deliver"). The consumer observes the first three, the web process the last.
 */
export function stageHistogram(registry: Registry) {
  return new Histogram({
    name: "board_pipeline_stage_seconds",
    help: "Time each message spent in a stage of the pipeline",
    labelNames: ["stage"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
}
