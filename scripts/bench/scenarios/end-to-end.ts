import { figure } from "../measure";
import { offeredLoad } from "../offered-load";
import { startNaiveConsumer } from "../naive";
import { type ManagedProcess } from "../../stack/processes";
import { row, results, repeat, stageQuantiles, showStages, sum, rows } from "../report";
import type { BenchContext } from "../context";

export async function endToEnd(ctx: BenchContext): Promise<void> {
  const { stack, fresh, web, naiveServer, consumerProcess, stop, cpuSeconds, cpuPer, say, size } = ctx;
  // 2. End to end: POST sent -> event received by a viewer, at fixed offered rates.
  say("End to end…");
  const endToEnd: Record<string, unknown> = {};
  for (const rate of size.rates) {
    const measure = async (naive: boolean) => {
      const board = await fresh();
      let server: ManagedProcess & { url: string };
      let consumer: { stop(): Promise<unknown> };
      let consumerPid: number | undefined; // the naive consumer runs in this process
      if (naive) {
        server = await naiveServer(board, `e2e-naive-${rate}`);
        const naiveConsumer = await startNaiveConsumer(stack.brokers, stack.redisUrl, board.id, {
          list: board.keys.board("main").list,
          channel: board.keys.channel,
        });
        consumer = { stop: async () => (await naiveConsumer.disconnect(), naiveConsumer.redis.disconnect()) };
      } else {
        const child = await consumerProcess(board.env, `e2e-consumer-${rate}`);
        consumer = { stop: () => stop(child) };
        consumerPid = child.pid;
        server = await web(board.env, `e2e-web-${rate}`);
      }
      await offeredLoad(server.url, { rate: Math.min(rate, 100), ms: 500, tag: "warm-up" }); // connections, JIT, first-use loading
      const cpuBefore = cpuSeconds(server.pid, consumerPid);
      const runs = await repeat(size.runs, (run) => offeredLoad(server.url, { rate, ms: size.rateMs, tag: `${run}` }));
      const cpuAfter = cpuSeconds(server.pid, consumerPid);
      await stop(server);
      await consumer.stop();
      const sent = runs.map((r) => r.sent);
      return {
        p50: figure(runs.map((r) => r.p50)),
        p95: figure(runs.map((r) => r.p95)),
        p99: figure(runs.map((r) => r.p99)),
        sent,
        arrived: runs.map((r) => r.arrived),
        // Where the time goes (from the times each message carries) and who spends the CPU.
        stages: stageQuantiles(runs),
        cpuMsPerMessage: cpuPer(cpuBefore, cpuAfter, sum(sent), 1e3),
      };
    };
    const product = await measure(false);
    const baseline = await measure(true);
    endToEnd[rate] = { product, baseline };
    for (const q of ["p50", "p95", "p99"] as const) row(`end to end ${q} at ${rate}/s`, product[q], baseline[q], "ms", true);
    rows.push([`  arrived at ${rate}/s`, `${sum(product.arrived)} of ${sum(product.sent)}`, `${sum(baseline.arrived)} of ${sum(baseline.sent)}`, ""]);
    rows.push([`  stages p50/p99 ms at ${rate}/s`, showStages(product.stages), "", ""]);
    const cpu = Object.entries(product.cpuMsPerMessage).map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
    rows.push([`  CPU ms per message at ${rate}/s`, cpu.join(", "), "", ""]);
  }
  results.endToEnd = endToEnd;
}
