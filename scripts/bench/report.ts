// What the bench prints and writes: one row per figure beside its baseline, the figures by scenario, and
// the machine they were taken on.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { quantile, type Figure } from "./measure";
import { STAGES, type Stage } from "./offered-load";
import { PROJECT_ROOT } from "../stack/paths";

/** The table: scenario, this board, the baseline, their ratio. */
export const rows: [string, string, string, string][] = [];
/** Every scenario's figures, by name, as written to the JSON file. */
export const results: Record<string, unknown> = {};

export function row(scenario: string, product: Figure, baseline: Figure | undefined, unit: string, lowerIsBetter = false) {
  const show = (f: Figure) => `${round(f.median)} ${unit} (${round(f.min)}–${round(f.max)})`;
  const ratio = baseline ? (lowerIsBetter ? baseline.median / product.median : product.median / baseline.median) : NaN;
  rows.push([scenario, show(product), baseline ? show(baseline) : "–", Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : "–"]);
}

export const round = (value: number) => (Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en") : Number(value.toPrecision(3)).toString());

/** `once` run `runs` times, one after another. */
export async function repeat<T>(runs: number, once: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let run = 0; run < runs; run++) out.push(await once(run));
  return out;
}

/** Where the time went, per stage, over all runs' messages. */
export function stageQuantiles(runs: { stages: Record<Stage, number[]> }[]): Record<Stage, { p50: number; p99: number }> {
  const of = (stage: Stage) => runs.flatMap((r) => r.stages[stage]);
  return Object.fromEntries(STAGES.map((stage) => [stage, { p50: quantile(of(stage), 0.5), p99: quantile(of(stage), 0.99) }])) as Record<
    Stage,
    { p50: number; p99: number }
  >;
}

export const showStages = (stages: Record<Stage, { p50: number; p99: number }>) =>
  Object.entries(stages)
    .map(([stage, { p50, p99 }]) => `${stage} ${round(p50)}/${round(p99)}`)
    .join(", ");

export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

export function printTable() {
  const head: [string, string, string, string] = ["scenario", "this board (median, min–max)", "naive baseline", "ratio"];
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ");
  console.log(`\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.map(line).join("\n")}\n`);
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()}`,
    node: process.version,
    versions: Object.fromEntries(["next", "react", "kafkajs", "ioredis"].map((name) => [name, packageVersion(name)])),
    kafka: "4.2.2",
  };
}

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
