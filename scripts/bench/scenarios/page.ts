import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { canRestorePriority, floodPage, type PageFlood } from "../page-flood";
import { TRACE_CATEGORIES } from "../page-trace";
import { board as boardPage, launchBrowser } from "../../stack/browser";
import { results, round, rows } from "../report";
import type { BenchContext } from "../context";

/**
 * The page shares this machine's cores with the whole pipeline, which a reader's browser does not. Each
 * rate is measured as it is, then with the pipeline's processes (and this one) behind the browser, as on
 * a reader's own computer, which tells the page's own work from its wait for a core.
 */
const PAGE_LEGS = [
  { label: "", file: "", background: false },
  { label: ", pipeline in the background", file: "-background", background: true },
];

export async function page(ctx: BenchContext): Promise<void> {
  const { reusedGroups, running, kafka, fresh, profiles, web, consumerProcess, stop, options, say, size } = ctx;
  // 4. The page in Chromium while messages pour in and someone types (scripts/bench/page-flood.ts).
  say("The page under a flood…");
  const board = await fresh();
  const consumer = await consumerProcess(board.env, "page-consumer");
  const server = await web(board.env, "page-web");
  const producer = kafka.producer();
  await producer.connect();
  const browser = await launchBrowser();
  const floods: Record<string, PageFlood> = {};
  try {
    for (const rate of size.page.rates) {
      // Putting a process back in front takes root.
      for (const leg of PAGE_LEGS.filter(({ background }) => !background || canRestorePriority())) {
        const context = await browser.newContext();
        const tab = await context.newPage();
        await boardPage(tab).open(server.url);
        const name = `page-${rate}${leg.file}`;
        // The page's own JavaScript profile, from the browser's DevTools protocol: native work (style,
        // layout, paint) shows as "(program)".
        const devtools = options.profile ? await context.newCDPSession(tab) : undefined;
        await devtools?.send("Profiler.enable");
        await devtools?.send("Profiler.start");
        // And a trace, which splits the long tasks by kind of work and tells CPU time from waiting for a core.
        if (options.profile) await browser.startTracing(tab, { categories: TRACE_CATEGORIES });
        const flood = await floodPage(tab, {
          rate,
          seconds: size.page.seconds,
          produce: (messages) => producer.send({ topic: board.id, acks: -1, messages }),
          background: leg.background ? [...reusedGroups, ...running.map((child) => child.pid)] : undefined,
        });
        if (devtools) {
          const { profile } = await devtools.send("Profiler.stop");
          mkdirSync(path.join(profiles, "page"), { recursive: true });
          writeFileSync(path.join(profiles, "page", `${name}.cpuprofile`), JSON.stringify(profile));
          writeFileSync(path.join(profiles, "page", `${name}.trace.json`), await browser.stopTracing());
        }
        await context.close();
        floods[`${rate}${leg.file}`] = flood;
        rows.push([
          `page under ${rate} msg/s for ${size.page.seconds} s${leg.label}`,
          `${flood.longTasks.length} long tasks, ${round(flood.busyMs)} ms; longest ${round(flood.longestMs)} ms; slowest key ${round(flood.slowestKeyMs)} ms`,
          "",
          "",
        ]);
      }
    }
  } finally {
    await browser.close();
    await producer.disconnect();
    await stop(server, consumer);
  }
  results.page = floods;
}
