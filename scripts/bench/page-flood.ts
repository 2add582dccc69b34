import type { Page } from "playwright";
import { z } from "zod";
import { createMessage } from "../../src/lib/messages/create";
import { board } from "../stack/browser";
import { setPriority } from "./measure";

export const FLOOD_TYPING = "typing while the board floods";

const measuredSchema = z.object({ longTasks: z.array(z.number()), inputDelays: z.array(z.number()) });

export type PageFlood = {
  total: number;
  seconds: number;
  /** Long tasks (50 ms or more on the main thread), in ms. */
  longTasks: number[];
  /** How long keystrokes waited to be handled, in ms; only those that took 16 ms or more to be painted. */
  inputDelays: number[];
  busyMs: number;
  longestMs: number;
  slowestKeyMs: number;
};

type FloodOptions = {
  rate: number;
  seconds: number;
  produce(records: { key: string; value: string }[]): Promise<unknown>;
  /**
   * Process groups of the pipeline, put behind the browser (with this process) while the flood runs, as on
   * a reader's own computer, where the browser does not share its cores with Kafka and the servers.
   */
  background?: number[];
};

/** The nice value of the pipeline's processes while they are in the background. */
const BACKGROUND_NICE = 10;

/** Putting processes back in front afterwards takes root. */
export const canRestorePriority = () => process.getuid?.() === 0;

/**
 * Messages at `rate` a second for `seconds`, written straight to the board's topic with `produce`, while
 * someone types into the open board `page`; resolves once the last is on screen. The page's own
 * Performance API says how long its main thread was busy and how long keystrokes waited.
 */
export async function floodPage(page: Page, { background, ...flood }: FloodOptions): Promise<PageFlood> {
  if (!background) return measureFlood(page, flood);
  setPriority(background, BACKGROUND_NICE);
  try {
    return await measureFlood(page, flood);
  } finally {
    setPriority(background, 0);
  }
}

async function measureFlood(page: Page, { rate, seconds, produce }: Omit<FloodOptions, "background">): Promise<PageFlood> {
  const view = board(page);
  await page.evaluate(() => {
    const measured = { longTasks: [] as number[], inputDelays: [] as number[] };
    Object.assign(window, { measured });
    new PerformanceObserver((list) => list.getEntries().forEach((entry) => measured.longTasks.push(entry.duration))).observe({ type: "longtask" });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as PerformanceEventTiming[]) measured.inputDelays.push(entry.processingStart - entry.startTime);
    }).observe({ type: "event", durationThreshold: 16 } as PerformanceObserverInit);
  });

  const total = rate * seconds;
  const started = performance.now();
  let sent = 0;
  const flood = (async () => {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      if (due > sent) {
        const records = Array.from({ length: due - sent }, (_, i) => ({
          key: "main",
          value: JSON.stringify(createMessage({ text: `flood ${sent + i}` }, "main")),
        }));
        sent = due;
        await produce(records);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  })();
  await Promise.race([flood, view.messages.filter({ hasText: "flood" }).first().waitFor({ timeout: 30_000 })]).catch((error: unknown) => {
    throw new Error(`${sent} produced; ${String(error)}`);
  });
  await view.text.pressSequentially(FLOOD_TYPING, { delay: 40 });
  await flood;
  await view.message(`flood ${total - 1}`).waitFor({ timeout: 60_000 });
  const floodSeconds = (performance.now() - started) / 1000;

  const { longTasks, inputDelays } = measuredSchema.parse(await page.evaluate(() => (window as unknown as { measured: unknown }).measured));
  return {
    total,
    seconds: floodSeconds,
    longTasks,
    inputDelays,
    busyMs: longTasks.reduce((sum, duration) => sum + duration, 0),
    longestMs: Math.max(0, ...longTasks),
    slowestKeyMs: Math.max(0, ...inputDelays),
  };
}
