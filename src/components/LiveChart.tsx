"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type ChartSeries = { label: string; color: string; dashed?: boolean };

type Props = {
  title: string;
  unit: string;
  series: readonly ChartSeries[];
  /** Seconds since the epoch, then one column per series (null: nothing to say at that time). */
  data: [number[], ...(number | null)[][]];
};

const HEIGHT = 180;

/**
 * One live chart: a small uPlot canvas that takes its container's width (so it reads on a phone) and its
 * text colour for axes (so it reads in dark mode). The figure's caption says the latest values in words,
 * for those who do not see the canvas.
 */
export function LiveChart({ title, unit, series, data }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const labels = series.map((each) => each.label).join("|");

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const ink = getComputedStyle(element).color;
    const axis = { stroke: ink, grid: { stroke: "rgba(127, 127, 127, 0.25)", width: 1 }, ticks: { stroke: "rgba(127, 127, 127, 0.4)", width: 1 } };
    const plot = new uPlot(
      {
        width: element.clientWidth,
        height: HEIGHT,
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_, min, max) => [0, Math.max(1, max * 1.1, min)] } },
        axes: [axis, { ...axis, size: 56, values: (_, ticks) => ticks.map((tick) => `${formatValue(tick)}${unit === "ms" ? " ms" : ""}`) }],
        series: [{}, ...series.map(({ label, color, dashed }) => ({ label, stroke: color, width: 2, dash: dashed ? [6, 4] : undefined, spanGaps: true }))],
      },
      data,
      element,
    );
    chart.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
    // A new chart only when its series change; new data goes through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [labels, unit]);

  useEffect(() => chart.current?.setData(data), [data]);

  const latest = series.map(({ label }, i) => `${label} ${formatLatest(data[i + 1]?.at(-1), unit)}`).join(", ");
  return (
    <figure
      className="flex min-w-0 flex-col gap-2 rounded-xl border border-slate-200 bg-white p-3 text-slate-800 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      data-points={data[0].length}
    >
      <figcaption className="text-sm">
        <span className="font-semibold">{title}</span> <span className="text-xs opacity-80">now: {latest}</span>
      </figcaption>
      <div ref={box} aria-hidden="true" className="w-full" />
    </figure>
  );
}

function formatValue(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en") : String(Math.round(value * 10) / 10);
}

function formatLatest(value: number | null | undefined, unit: string): string {
  return value === null || value === undefined ? "–" : `${formatValue(value)} ${unit}`;
}
