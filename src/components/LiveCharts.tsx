"use client";

import { useMemo } from "react";
import type { Inspection } from "@/lib/inspection";
import { LiveChart, type ChartSeries } from "./LiveChart";

/** What the inspector keeps of each answer, for its charts. */
export type LivePoint = { at: number; live: Inspection["live"]; lag: Inspection["group"]["lag"] };

// Tones that hold their contrast on a white card and on a dark one.
const COLORS = ["#6366f1", "#10b981", "#f59e0b", "#ec4899", "#0ea5e9", "#a855f7"];
const STAGES = ["append", "consume", "store", "deliver"] as const;

/** Throughput, latency per stage, lag per partition and viewers over the last minutes, moving as they change. */
export function LiveCharts({ points }: { points: readonly LivePoint[] }) {
  const charts = useMemo(() => {
    const x = points.map((point) => point.at / 1000);
    const column = (pick: (point: LivePoint) => number | null) => points.map(pick);
    const partitions = [...new Set(points.flatMap((point) => point.lag.map((entry) => entry.partition)))].sort((a, b) => a - b);
    const stageSeries = (rank: "p50" | "p99"): ChartSeries[] => STAGES.map((stage, i) => ({ label: stage, color: COLORS[i]!, dashed: rank === "p99" }));
    return [
      {
        title: "Messages per second",
        unit: "/s",
        series: [
          { label: "in", color: COLORS[0]! },
          { label: "stored", color: COLORS[1]! },
          { label: "out", color: COLORS[2]! },
        ],
        data: [x, column((p) => p.live.inPerSecond), column((p) => p.live.storedPerSecond), column((p) => p.live.outPerSecond)],
      },
      {
        title: "Latency per stage, p50",
        unit: "ms",
        series: stageSeries("p50"),
        data: [x, ...STAGES.map((stage) => column((p) => p.live.stages[stage].p50))],
      },
      {
        title: "Latency per stage, p99",
        unit: "ms",
        series: stageSeries("p99"),
        data: [x, ...STAGES.map((stage) => column((p) => p.live.stages[stage].p99))],
      },
      {
        title: "Consumer lag per partition",
        unit: "records",
        series: partitions.map((partition, i) => ({ label: `partition ${partition}`, color: COLORS[i % COLORS.length]! })),
        data: [x, ...partitions.map((partition) => column((p) => p.lag.find((entry) => entry.partition === partition)?.lag ?? null))],
      },
      { title: "Viewers", unit: "", series: [{ label: "streams", color: COLORS[4]! }], data: [x, column((p) => p.live.viewers)] },
    ] as const;
  }, [points]);

  return (
    <section aria-labelledby="live-heading" className="flex flex-col gap-3">
      <h2 id="live-heading" className="text-lg font-semibold">
        Live
      </h2>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
        {charts.map((chart) => (
          <LiveChart key={chart.title} title={chart.title} unit={chart.unit} series={chart.series} data={chart.data as [number[], ...(number | null)[][]]} />
        ))}
      </div>
    </section>
  );
}
