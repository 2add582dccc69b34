import { dropConnections, figure, groupCpuSeconds, oneConnectionEach, quantile } from "../measure";
import { offeredLoad, type OfferedLoad } from "../offered-load";
import { startProcess } from "../../stack/processes";
import { row, results, repeat, stageQuantiles, showStages, rows } from "../report";
import type { BenchContext } from "../context";

export async function onset(ctx: BenchContext): Promise<void> {
  const { fresh, logTo, track, web, consumerProcess, stop, say, size } = ctx;
  // 3b. Load onset: a web process that has carried no load gets the full rate at once from new connections,
  // as a user tries it; then the same again on the connections it kept, and again on new ones. The third
  // tells whether what the first pays for is code not yet compiled or connections not yet accepted. Beside
  // it, the web process with one handle on its listening socket (Node's own way), and both again with one
  // core taken by another process, as on a machine busy with something else, where turns of the event
  // loop last longer and connections wait longer to be accepted.
  say("Load onset…");
  const { rate, ms } = size.onset;
  const legs = ["first", "again", "new connections"] as const;
  // Every handle is woken by each new connection, and all but one find nothing to accept: what that costs
  // shows where each request comes on a connection of its own.
  const churn = size.onset.rate;
  const measure = (oneHandle: boolean, busy: boolean) =>
    repeat(size.runs, async (run) => {
      const name = `onset-${oneHandle ? "one-handle" : "board"}${busy ? "-busy" : ""}-${run}`;
      const board = await fresh();
      const consumer = await consumerProcess(board.env, `${name}-consumer`);
      const server = await web({ ...board.env, ...(oneHandle && { ACCEPT_HANDLES: "1" }) }, `${name}-web`);
      const spinning = busy ? track(startProcess(`${name}-busy-core`, process.execPath, ["-e", "for (;;);"], { output: logTo(`${name}-busy`) })) : undefined;
      const loads: OfferedLoad[] = [];
      for (const leg of legs) {
        if (leg !== "again") dropConnections(server.url);
        loads.push(await offeredLoad(server.url, { rate, ms, tag: `${leg}-${run}`, viewers: 10 }));
      }
      let cpuUsPerNewConnection = NaN;
      if (!busy) {
        const cpuBefore = groupCpuSeconds(server.pid);
        await oneConnectionEach(server.url, "/api/health", churn);
        cpuUsPerNewConnection = ((groupCpuSeconds(server.pid) - cpuBefore) * 1e6) / churn;
      }
      await stop(server, consumer, ...(spinning ? [spinning] : []));
      return { loads, cpuUsPerNewConnection };
    });
  const summarize = (runs: { loads: OfferedLoad[] }[]) =>
    legs.map((leg, i) => {
      const loads = runs.map((r) => r.loads[i]!);
      const acceptP99 = figure(loads.map((load) => quantile(load.stages.accept, 0.99)));
      return { leg, p99: figure(loads.map((load) => load.p99)), acceptP99, stages: stageQuantiles(loads) };
    });
  const onset: Record<string, unknown> = { rate, ms };
  results.onset = onset;
  for (const busy of [false, true]) {
    const productRuns = await measure(false, busy);
    const baselineRuns = await measure(true, busy);
    const product = summarize(productRuns);
    const baseline = summarize(baselineRuns);
    const state = busy ? "one core busy" : "quiet";
    onset[state] = { product, baseline };
    product.forEach(({ leg, p99, acceptP99, stages }, i) => {
      row(`onset at ${rate}/s, ${state}, ${leg}: p99 (one handle)`, p99, baseline[i]!.p99, "ms", true);
      row(`  accept p99`, acceptP99, baseline[i]!.acceptP99, "ms", true);
      rows.push([`  stages p50/p99 ms`, showStages(stages), "", ""]);
    });
    if (!busy) {
      const perConnection = (runs: typeof productRuns) => figure(runs.map((r) => r.cpuUsPerNewConnection));
      onset.cpuUsPerNewConnection = { product: perConnection(productRuns), baseline: perConnection(baselineRuns) };
      row(`  web CPU per request, each on a new connection (one handle)`, perConnection(productRuns), perConnection(baselineRuns), "µs", true);
    }
  }
}
