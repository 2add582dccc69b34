import { figure, groupRss, openViewer, post, quantile, warmUpViewers } from "../measure";
import { offeredLoad, type OfferedLoad } from "../offered-load";
import { waitFor } from "../../stack/wait";
import { row, results, round, rows } from "../report";
import type { BenchContext } from "../context";

export async function fanOut(ctx: BenchContext): Promise<void> {
  const { redis, fresh, web, naiveServer, floorServer, consumerProcess, stop, say, size } = ctx;
  // 3. Fan-out: many plain-HTTP viewers on one web process; how long a broadcast takes to reach them all.
  say("Fan-out…");
  const fanOut: Record<string, unknown> = {};
  for (const viewers of size.viewers) {
    const measure = async (naive: boolean, count: number) => {
      const board = await fresh();
      const consumer = await consumerProcess(board.env, `fanout-consumer-${count}-${naive}`);
      const server = naive ? await naiveServer(board, `fanout-naive-${count}`) : await web(board.env, `fanout-web-${count}`);
      await warmUpViewers(server.url, openViewer);
      const before = groupRss(server.pid);
      const arrivals = new Map<string, number[]>();
      const open = [];
      for (let i = 0; i < count; i += 200) {
        open.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(200, count - i) }, () =>
              openViewer(server.url, (chunk) => {
                const marker = /fanout-(\d+)/.exec(chunk)?.[1];
                if (marker) arrivals.get(marker)?.push(performance.now());
              }),
            ),
          )),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500)); // let every stream finish its catch-up
      const perViewer = (groupRss(server.pid) - before) / count;
      const redisClients = String(await redis.client("LIST"))
        .split("\n")
        .filter((line) => /name=(message-board-web|naive-viewer)/.test(line)).length;
      const p50s: number[] = [];
      const p99s: number[] = [];
      for (let b = 0; b < size.broadcasts; b++) {
        arrivals.set(String(b), []);
        const sent = performance.now();
        await post(server.url, `{"text":"fanout-${b}"}`);
        await waitFor(`broadcast ${b} to reach ${count}`, () => (arrivals.get(String(b))?.length ?? 0) >= count, { timeoutMs: 60_000, intervalMs: 20 });
        const times = arrivals.get(String(b))!.map((at) => at - sent);
        p50s.push(quantile(times, 0.5));
        p99s.push(quantile(times, 0.99));
      }
      for (const viewer of open) viewer.destroy();
      // The same broadcasts, read by the viewers' own process over bare sockets: what the server does,
      // less the cost of reading thousands of streams in the process that times them.
      const broadcasts = { rate: 2, ms: size.broadcasts * 500, tag: "fanout", viewers: count, timed: count };
      const apart = naive ? undefined : await offeredLoad(server.url, broadcasts);
      await stop(server, consumer);
      // And to the floor, at the most viewers: what writing to that many streams costs on this machine
      // with nothing else to do.
      let floor: OfferedLoad | undefined;
      if (!naive && count === size.viewers.at(-1)) {
        const bare = await floorServer(`fanout-floor-${count}`);
        floor = await offeredLoad(bare.url, broadcasts);
        await stop(bare);
      }
      return {
        viewers: count,
        p50: figure(p50s),
        p99: figure(p99s),
        ...(apart && { apart: { p50: apart.p50, p99: apart.p99, arrived: apart.arrived } }),
        ...(floor && { floor: { p50: floor.p50, p99: floor.p99, arrived: floor.arrived } }),
        bytesPerViewer: perViewer,
        redisConnections: redisClients,
      };
    };
    const product = await measure(false, viewers);
    const baseline = viewers === size.baselineViewers ? await measure(true, viewers) : undefined;
    fanOut[viewers] = { product, baseline };
    row(`fan-out p50 to ${viewers.toLocaleString("en")} viewers`, product.p50, baseline?.p50, "ms", true);
    row(`fan-out p99 to ${viewers.toLocaleString("en")} viewers`, product.p99, baseline?.p99, "ms", true);
    const { apart, floor } = product;
    if (apart) {
      const times = (f: { p50: number; p99: number }) => `${round(f.p50)} / ${round(f.p99)} ms`;
      const label = `  p50 / p99, viewers in a process of their own${floor ? "; beside: the floor" : ""}`;
      rows.push([label, times(apart), floor ? times(floor) : "", floor ? `${(floor.p99 / apart.p99).toFixed(1)}×` : ""]);
    }
    rows.push([
      `  memory per viewer, Redis connections`,
      `${round(product.bytesPerViewer / 1024)} KB, ${product.redisConnections}`,
      baseline ? `${round(baseline.bytesPerViewer / 1024)} KB, ${baseline.redisConnections}` : "–",
      "",
    ]);
  }
  results.fanOut = fanOut;
}
