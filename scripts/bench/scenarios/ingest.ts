import { closedLoop, createBoard, figure } from "../measure";
import { row, results, repeat, sum, rows } from "../report";
import type { BenchContext } from "../context";

export async function ingest(ctx: BenchContext): Promise<void> {
  const { fresh, web, naiveServer, floorServer, consumerProcess, stop, cpuSeconds, cpuPer, say, size } = ctx;
  // 1. Ingest: POSTs answered after the broker's ack, by closed-loop clients.
  say("Ingest…");
  const ingest: Record<string, unknown> = {};
  for (const clients of size.concurrency) {
    const measure = async (design: "board" | "naive" | "floor", boardCount = 0) => {
      const board = await fresh();
      const name = `ingest-${design}-${clients}${boardCount ? `-${boardCount}-boards` : ""}`;
      const server = design === "naive" ? await naiveServer(board, name) : design === "floor" ? await floorServer(name) : await web(board.env, name);
      // Boards are made through the log and known once the consumer has stored them; then it goes, so that
      // the web process has the cores to itself as in the other runs.
      const slugs = Array.from({ length: boardCount }, (_, i) => `bench-${i + 1}`);
      if (boardCount > 0) {
        const consumer = await consumerProcess(board.env, `${name}-consumer`);
        for (const slug of slugs) await createBoard(server.url, slug);
        await stop(consumer);
      }
      await closedLoop(server.url, clients, Math.min(500, size.ingestMs), slugs); // warm up: connections, JIT
      const cpuBefore = cpuSeconds(server.pid, undefined);
      const runs = await repeat(size.runs, () => closedLoop(server.url, clients, size.ingestMs, slugs));
      const cpuAfter = cpuSeconds(server.pid, undefined);
      await stop(server);
      return {
        perSecond: figure(runs.map((r) => r.perSecond)),
        // Who spends the CPU for each accepted post: with every core busy, that is what bounds the rate.
        cpuUsPerPost: cpuPer(cpuBefore, cpuAfter, sum(runs.map((r) => r.accepted)), 1e6),
        p50: figure(runs.map((r) => r.p50)),
        p99: figure(runs.map((r) => r.p99)),
        failed: runs.reduce((sum, r) => sum + r.failed, 0),
      };
    };
    const product = await measure("board");
    const baseline = await measure("naive");
    const floor = await measure("floor");
    // The same clients spread over several boards, whose posts reach the producer interleaved.
    const spread = clients === size.concurrency.at(-1) ? await measure("board", size.ingestBoards) : undefined;
    ingest[clients] = { product, baseline, floor, ...(spread && { spread }) };
    row(`ingest, ${clients} client(s)`, product.perSecond, baseline.perSecond, "msg/s");
    row(`  against bare node:http, ${clients}`, product.perSecond, floor.perSecond, "msg/s");
    if (spread) row(`  over ${size.ingestBoards} boards, against one, ${clients}`, spread.perSecond, product.perSecond, "msg/s");
    const cpu = (perPost: Record<string, number>) =>
      `${Object.entries(perPost)
        .map(([name, us]) => `${name} ${Math.round(us)}`)
        .join(", ")}; all ${Math.round(sum(Object.values(perPost)))}`;
    rows.push([`  CPU µs per post, ${clients}`, cpu(product.cpuUsPerPost), `floor: ${cpu(floor.cpuUsPerPost)}`, ""]);
    row(`  POST latency p50, ${clients}`, product.p50, baseline.p50, "ms", true);
    row(`  POST latency p99, ${clients}`, product.p99, baseline.p99, "ms", true);
  }
  results.ingest = ingest;
}
