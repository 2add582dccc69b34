import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// What `node --cpu-prof` (and the DevTools protocol) writes: a call tree, and the node that was running at
// each sample with the time since the sample before.
const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).default([]),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type Profile = z.infer<typeof profileSchema>;

/** The web process's API entry: where a profile of a loaded web process starts to be about the load. */
const FIRST_REQUEST = /\/src\/lib\/http\/node-adapter\.ts$/;

/**
 * The index of the first sample taken inside `FIRST_REQUEST`, so that a web process's start (loading and
 * compiling modules, preparing Next) does not crowd out what the load cost; 0 where no sample is.
 */
function firstRequestSample({ nodes, samples }: Profile): number {
  const parent = new Map<number, number>();
  for (const node of nodes) for (const child of node.children) parent.set(child, node.id);
  const inRequest = new Set(nodes.filter((node) => FIRST_REQUEST.test(node.callFrame.url)).map((node) => node.id));
  const within = (id: number | undefined): boolean => id !== undefined && (inRequest.has(id) || within(parent.get(id)));
  return Math.max(
    0,
    samples.findIndex((id) => within(id)),
  );
}

/** Where a function comes from, coarsely: the package, node itself, or the project. */
function origin(url: string): string {
  if (url === "") return "(native, GC, idle)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node";
  return "project";
}

/**
 * The busiest functions of every profile in `dir` by their own time, and the share of each origin, as
 * lines to print. Idle time is left out of the shares: what is asked is where the CPU went.
 */
export function summarizeProfiles(dir: string, top = 12): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))) {
    const profile = profileSchema.parse(JSON.parse(readFileSync(path.join(dir, file), "utf8")));
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const from = firstRequestSample(profile);
    const byFunction = new Map<string, number>();
    const byOrigin = new Map<string, number>();
    let busy = 0;
    for (let i = from; i < profile.samples.length; i++) {
      const callFrame = byId.get(profile.samples[i]!)?.callFrame;
      if (!callFrame || callFrame.functionName === "(idle)") continue;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      busy += ms;
      const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : "";
      const name = `${callFrame.functionName || "(anonymous)"} ${where}`.trim();
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      byOrigin.set(origin(callFrame.url), (byOrigin.get(origin(callFrame.url)) ?? 0) + ms);
    }
    const share = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`;
    const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
    lines.push(`${file}: ${Math.round(busy)} ms of CPU${from > 0 ? " from the first API request on" : ""}`);
    lines.push(
      `  by origin: ${sorted(byOrigin)
        .map(([name, ms]) => `${name} ${share(ms)}`)
        .join(", ")}`,
    );
    for (const [name, ms] of sorted(byFunction).slice(0, top)) lines.push(`  ${share(ms).padStart(6)}  ${name}`);
  }
  return lines;
}
