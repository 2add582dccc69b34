import { randomUUID } from "node:crypto";
import { WebSocket } from "ws";
import { figure, groupRss, openViewer, post, quantile, warmUpViewers, type Figure } from "../measure";
import { waitFor } from "../../stack/wait";
import { results, round, row, rows } from "../report";
import type { BenchContext } from "../context";

type Closable = { destroy(): void };
type Open = (url: string, onData: (chunk: string) => void) => Promise<Closable>;

/** A WebSocket viewer of the board, as the page opens it; `onData` hears each message. */
const openSocket: Open = (url, onData) =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/messages/ws`, { perMessageDeflate: false });
    socket.once("open", () => resolve({ destroy: () => socket.terminate() }));
    socket.once("unexpected-response", (_request, response) => reject(new Error(`the WebSocket answered ${response.statusCode}`)));
    socket.on("message", (data: Buffer) => onData(data.toString("utf8")));
    socket.on("error", () => {});
  });

const TRANSPORTS: [string, Open][] = [
  ["SSE", openViewer],
  ["WebSocket", openSocket],
];

/**
 * The stream over SSE and over WebSocket, side by side in one run: a broadcast's time to reach every
 * viewer (p50, p99) and the web process's memory per viewer, at each size; then a reaction's time from the
 * PUT to every viewer's count, through the processor, at `reactionViewers`.
 */
export async function transports(ctx: BenchContext): Promise<void> {
  const { fresh, web, consumerProcess, processorProcess, stop, say, size } = ctx;
  say("Transports and reactions…");
  const figures: Record<string, unknown> = {};
  /** `count` viewers of a fresh board over `open`; `watch` picks what a chunk says arrived. */
  const withViewers = async (
    count: number,
    open: Open,
    name: string,
    processor: boolean,
    work: (url: string, arrivals: Map<string, number[]>) => Promise<void>,
  ) => {
    const board = await fresh();
    const consumer = await consumerProcess(board.env, `${name}-consumer`);
    const reactions = processor ? await processorProcess(board.env, `${name}-processor`) : undefined;
    const server = await web(board.env, `${name}-web`);
    const arrivals = new Map<string, number[]>();
    const onData = (chunk: string) => {
      for (const marker of chunk.matchAll(/(fanout-\d+|"👍":\d+)/g)) arrivals.get(marker[1]!)?.push(performance.now());
    };
    await warmUpViewers(server.url, open);
    const before = groupRss(server.pid);
    const viewers: Closable[] = [];
    for (let i = 0; i < count; i += 200) viewers.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => open(server.url, onData)))));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const perViewer = (groupRss(server.pid) - before) / count;
    await work(server.url, arrivals);
    for (const viewer of viewers) viewer.destroy();
    await stop(server, consumer, ...(reactions ? [reactions] : []));
    return perViewer;
  };
  /** Times from `send` until `count` arrivals of `marker`, over the broadcasts. */
  const timed = async (arrivals: Map<string, number[]>, count: number, send: (b: number) => Promise<string>) => {
    const p50s: number[] = [];
    const p99s: number[] = [];
    for (let b = 0; b < size.broadcasts; b++) {
      const sent = performance.now();
      const marker = await send(b);
      await waitFor(`${marker} to reach ${count}`, () => (arrivals.get(marker)?.length ?? 0) >= count, { timeoutMs: 60_000, intervalMs: 20 });
      const times = arrivals.get(marker)!.map((at) => at - sent);
      p50s.push(quantile(times, 0.5));
      p99s.push(quantile(times, 0.99));
    }
    return { p50: figure(p50s), p99: figure(p99s) };
  };

  for (const count of size.transports) {
    for (const [transport, open] of TRANSPORTS) {
      let times: { p50: Figure; p99: Figure } | undefined;
      const perViewer = await withViewers(count, open, `transport-${transport}-${count}`, false, async (url, arrivals) => {
        times = await timed(arrivals, count, async (b) => {
          arrivals.set(`fanout-${b}`, []);
          await post(url, `{"text":"fanout-${b}"}`);
          return `fanout-${b}`;
        });
      });
      figures[`${transport} ${count}`] = { ...times, bytesPerViewer: perViewer };
      row(`${transport} fan-out p99 to ${count.toLocaleString("en")} viewers`, times!.p99, undefined, "ms", true);
      rows.push([`  p50; memory per viewer`, `${round(times!.p50.median)} ms; ${round(perViewer / 1024)} KB`, "", ""]);
    }
  }

  // A reaction, from the PUT's start to every viewer's new count, through Kafka, the processor, its result
  // topic, the results consumer, Redis and the stream: each broadcast a new reader's thumbs up.
  const viewers = size.reactionViewers;
  let reaction: { p50: Figure; p99: Figure } | undefined;
  await withViewers(viewers, openViewer, `reaction-${viewers}`, true, async (url, arrivals) => {
    const posted = (await (
      await fetch(`${url}/api/messages`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"text":"react to me"}' })
    ).json()) as { id: string };
    await new Promise((resolve) => setTimeout(resolve, 1000)); // stored, and known to the web process
    reaction = await timed(arrivals, viewers, async (b) => {
      const marker = `"👍":${b + 1}`;
      arrivals.set(marker, []);
      const response = await fetch(`${url}/api/messages/${posted.id}/reactions/${encodeURIComponent("👍")}`, {
        method: "PUT",
        headers: { cookie: `board_reader=${randomUUID().replaceAll("-", "")}` },
      });
      if (response.status !== 204) throw new Error(`the reaction answered ${response.status}`);
      return marker;
    });
  });
  figures.reaction = { viewers, ...reaction };
  row(`reaction to every window p99, ${viewers.toLocaleString("en")} viewers`, reaction!.p99, undefined, "ms", true);
  rows.push([`  p50`, `${round(reaction!.p50.median)} ms`, "", ""]);
  results.transports = figures;
}
