import { figure, groupCpuSeconds } from "../measure";
import { offeredLoad } from "../offered-load";
import { row, results, repeat, stageQuantiles, showStages, sum, rows } from "../report";
import type { BenchContext } from "../context";

export async function mixed(ctx: BenchContext): Promise<void> {
  const { fresh, web, floorServer, consumerProcess, stop, say, size } = ctx;
  // 3. Mixed: viewers connected while posts flow, beside the floor (no Kafka, no Redis) under the same client.
  say("Mixed load…");
  const mixed: Record<string, unknown> = {};
  for (const { viewers, rate } of size.mixed) {
    const measure = async (floor: boolean) => {
      const board = await fresh();
      const name = `mixed-${floor ? "floor" : "web"}-${viewers}`;
      const consumer = floor ? undefined : await consumerProcess(board.env, `mixed-consumer-${viewers}`);
      const server = floor ? await floorServer(name) : await web(board.env, name);
      // Steady state: the code compiled and the load client's connections open, at the rate to come. A
      // process taking a burst of new connections cold is the onset scenario's.
      await offeredLoad(server.url, { rate, ms: 1000, tag: "warm-up" });
      const runs = await repeat(size.runs, async (run) => {
        const before = groupCpuSeconds(server.pid);
        const load = await offeredLoad(server.url, { rate, ms: size.mixedMs, tag: `${run}`, viewers });
        return { ...load, cpuUsPerEvent: ((groupCpuSeconds(server.pid) - before) * 1e6) / Math.max(1, load.delivered) };
      });
      await stop(server, ...(consumer ? [consumer] : []));
      return {
        acceptedPerSecond: figure(runs.map((r) => r.acceptedPerSecond)),
        p50: figure(runs.map((r) => r.p50)),
        p99: figure(runs.map((r) => r.p99)),
        cpuUsPerEvent: figure(runs.map((r) => r.cpuUsPerEvent)),
        delivered: sum(runs.map((r) => r.delivered)),
        expected: sum(runs.map((r) => r.expected)),
        stages: stageQuantiles(runs),
      };
    };
    const product = await measure(false);
    const floor = await measure(true);
    mixed[`${viewers}x${rate}`] = { viewers, offered: rate, product, floor };
    const label = `${viewers.toLocaleString("en")} viewers, ${rate}/s offered`;
    row(`mixed ${label}: accepted`, product.acceptedPerSecond, floor.acceptedPerSecond, "msg/s");
    row(`  end to end p50`, product.p50, floor.p50, "ms", true);
    row(`  end to end p99`, product.p99, floor.p99, "ms", true);
    row(`  web CPU per delivered event`, product.cpuUsPerEvent, floor.cpuUsPerEvent, "µs", true);
    rows.push([`  events delivered`, `${product.delivered} of ${product.expected}`, `${floor.delivered} of ${floor.expected}`, ""]);
    rows.push([`  stages p50/p99 ms`, showStages(product.stages), "", ""]);
  }
  results.mixed = mixed;
}
