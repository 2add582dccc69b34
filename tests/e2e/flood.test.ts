// The page under a flood: messages arriving at 500 a second for 10 s, straight from Kafka through the real
// consumer, Redis and web process into Chromium, while someone types. The page keeps up: it shows the
// newest 100 in order, holds no more, and loses no keystroke. The page's own Performance API says how long
// its main thread was busy (long tasks) and how long keystrokes waited (input delay); the test prints both.
// The aim (no long task over 50 ms, input within 50 ms) is not reached yet, so they are not asserted.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { z } from "zod";
import { createMessage } from "../../src/lib/messages/create";
import { board, launchBrowser } from "../support/browser";
import { cleanupList, startApps, testKafka } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const RATE = 500;
const SECONDS = 10;

const measuredSchema = z.object({ longTasks: z.array(z.number()), inputDelays: z.array(z.number()) });

test(`at ${RATE} messages a second the page keeps up, shows the newest 100 in order and keeps every keystroke`, async (t) => {
  const { names, web } = await startApps(cleanup, "flood");
  const url = web[0]!.url;
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await (await browser.newContext()).newPage();
  const view = board(page);
  await view.open(url);
  await page.evaluate(() => {
    const measured = { longTasks: [] as number[], inputDelays: [] as number[] };
    Object.assign(window, { measured });
    new PerformanceObserver((list) => list.getEntries().forEach((entry) => measured.longTasks.push(entry.duration))).observe({ type: "longtask" });
    // Keystrokes that took 16 ms or more to be handled and painted; quicker ones are not reported.
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as PerformanceEventTiming[]) measured.inputDelays.push(entry.processingStart - entry.startTime);
    }).observe({ type: "event", durationThreshold: 16 } as PerformanceObserverInit);
  });

  const producer = testKafka().producer();
  await producer.connect();
  cleanup.add(producer, (opened) => opened.disconnect());
  const total = RATE * SECONDS;
  const started = performance.now();
  let sent = 0;
  const flood = (async () => {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
      if (due > sent) {
        const messages = Array.from({ length: due - sent }, (_, i) => ({
          key: "main",
          value: JSON.stringify(createMessage({ text: `flood ${sent + i}` }, "main")),
        }));
        sent = due;
        await producer.send({ topic: names.topic, acks: -1, messages });
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  })();
  await Promise.race([flood, view.messages.filter({ hasText: "flood" }).first().waitFor({ timeout: 30_000 })]).catch((error: unknown) => {
    throw new Error(`${sent} produced; ${String(error)}`);
  });
  await view.text.pressSequentially("typing while the board floods", { delay: 40 });
  await flood;
  await view.message(`flood ${total - 1}`).waitFor({ timeout: 60_000 });
  const floodSeconds = (performance.now() - started) / 1000;
  assert.equal(await view.text.inputValue(), "typing while the board floods", "every keystroke arrived");

  const { longTasks, inputDelays } = measuredSchema.parse(await page.evaluate(() => (window as unknown as { measured: unknown }).measured));
  const busy = longTasks.reduce((sum, duration) => sum + duration, 0);
  const longest = Math.max(0, ...longTasks);
  const slowestKey = Math.max(0, ...inputDelays);
  t.diagnostic(
    `${total} messages in ${floodSeconds.toFixed(1)} s: ${longTasks.length} long task(s), ${Math.round(busy)} ms in all, the longest ${Math.round(longest)} ms; ` +
      `slowest keystroke waited ${Math.round(slowestKey)} ms; the list shows ${await view.messages.count()}`,
  );
  assert.equal(await view.messages.count(), 100, "the list stays at its size");
  assert.deepEqual(
    await view.messages.locator("p").allTextContents(),
    Array.from({ length: 100 }, (_, i) => `flood ${total - 1 - i}`),
    "the newest 100, newest first, none missing or twice",
  );
});
