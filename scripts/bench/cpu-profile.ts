import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// What `node --cpu-prof` writes: a call tree whose nodes count the samples taken while they ran.
const profileSchema = z.object({
  nodes: z.array(
    z.object({
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      hitCount: z.number().default(0),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
});

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
    const perSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
    const byFunction = new Map<string, number>();
    const byOrigin = new Map<string, number>();
    let busy = 0;
    for (const { callFrame, hitCount } of profile.nodes) {
      if (hitCount === 0 || callFrame.functionName === "(idle)") continue;
      const ms = hitCount * perSample;
      busy += ms;
      const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : "";
      const name = `${callFrame.functionName || "(anonymous)"} ${where}`.trim();
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      byOrigin.set(origin(callFrame.url), (byOrigin.get(origin(callFrame.url)) ?? 0) + ms);
    }
    const share = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`;
    const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
    lines.push(`${file}: ${Math.round(busy)} ms of CPU`);
    lines.push(
      `  by origin: ${sorted(byOrigin)
        .map(([name, ms]) => `${name} ${share(ms)}`)
        .join(", ")}`,
    );
    for (const [name, ms] of sorted(byFunction).slice(0, top)) lines.push(`  ${share(ms).padStart(6)}  ${name}`);
  }
  return lines;
}
