// A thousand boards on the page: the busiest first, a filter that finds one by part of its name, the board
// shown always listed, a sidebar on a wide screen and a button on a phone, and no board moving under the
// reader while boards are created and messages arrive.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright";
import { boardListSchema } from "../../src/lib/messages/boards";
import { encodeBoardRecord } from "../../src/lib/kafka/record";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { range } from "../support/audit";
import lighthouse from "lighthouse";
import { cleanupList, onFreePorts, postAccepted, startApps, testKafka, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const BOARDS = 1000;
let url: string;
let browser: Browser;

before(async () => {
  const { names, web } = await startApps(cleanup, "many-boards", { BOARD_BURST: "1000", BOARDS_PER_HOUR: "100000" });
  url = web[0]!.url;
  // Straight into the boards topic, as a thousand creations would have put them there.
  const producer = testKafka().producer();
  await producer.connect();
  cleanup.add(producer, (opened) => opened.disconnect());
  const records = range(BOARDS).map((i) =>
    encodeBoardRecord({ id: randomUUID(), slug: `board-${i}`, name: `Board ${i} ${i % 2 ? "owls" : "larks"}`, createdAt: new Date().toISOString() }),
  );
  await producer.send({ topic: names.boardsTopic, acks: -1, messages: records });
  await waitFor("every board listed", async () => boardListSchema.parse(await (await fetch(`${url}/api/boards`)).json()).boards.length === BOARDS + 1);
  // A few boards with messages: the busiest, listed first.
  for (const i of [500, 900]) await postAccepted(url, `news on ${i}`, `board-${i}`);
  browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
});

/** A page that records every layout shift not caused by the reader, from its first paint. */
async function openRecordingShifts(viewport: { width: number; height: number }, path = "/"): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.addInitScript(() => {
    const shifts: number[] = [];
    Object.assign(window, { shifts });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[])
        if (!entry.hadRecentInput) shifts.push(entry.value);
    }).observe({ type: "layout-shift", buffered: true });
  });
  await board(page).open(`${url}${path}`);
  return page;
}

const layoutShift = (page: Page) => page.evaluate(() => (window as unknown as { shifts: number[] }).shifts.reduce((sum, value) => sum + value, 0));

test("on a wide screen: the busiest first, a filter finds a board among a thousand, and no board moves while boards change", async (t) => {
  const page = await openRecordingShifts({ width: 1280, height: 800 });
  const nav = page.getByRole("navigation", { name: "Boards" });
  const links = nav.getByRole("link");
  assert.ok((await links.count()) <= 31, `a short list to start with: ${await links.count()}`);
  assert.deepEqual(
    (await links.allTextContents()).slice(0, 3).map((text) => text.replace(/just now|\d+ \w+ ago|no messages yet/, "").trim()),
    ["main", "Board 900 larks", "Board 500 larks"],
    "the board shown (not among the busiest), then the boards with the newest messages",
  );

  // Messages on boards listed and not, and a new board, while the page is open: the times change, the
  // places do not.
  const names = async () => (await links.allTextContents()).map((text) => text.replace(/just now|\d+ \w+ ago|no messages yet/, "").trim());
  const before = await names();
  for (const i of range(10)) await postAccepted(url, `busy ${i}`, `board-${(i * 97) % BOARDS}`);
  await fetch(`${url}/api/boards`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Latecomers" }) });
  await waitFor("the activity to reach the page", async () => (await nav.getByText("just now").count()) >= 3);
  assert.deepEqual(await names(), before, "every board listed kept its place");
  // Chromium's own measure, for the record: it barely counts a list reordering its items (the list before
  // this one, which moved the busiest boards to the front, measured 0.000 here too).
  t.diagnostic(`cumulative layout shift while boards changed: ${(await layoutShift(page)).toFixed(3)}`);

  await nav.getByRole("button", { name: /All 1,00\d boards/ }).click();
  assert.ok((await links.count()) > BOARDS, "all of them");
  await nav.getByRole("searchbox", { name: "Find a board" }).fill("d 777 o");
  await waitFor("one match", async () => (await links.count()) === 1);
  await links.first().click();
  await page.waitForURL(`${url}/b/board-777`);
  await page.getByRole("heading", { name: "Board 777 owls" }).waitFor();
  await nav.locator('[aria-current="page"]', { hasText: "Board 777 owls" }).waitFor();
});

test("on a phone: the boards are behind a button, and a filter finds one", async () => {
  const page = await openRecordingShifts({ width: 390, height: 844 }, "/b/board-3");
  const nav = page.getByRole("navigation", { name: "Boards" });
  const filter = nav.getByRole("searchbox", { name: "Find a board" });
  assert.equal(await filter.isVisible(), false, "the list is folded away");
  await nav.getByRole("button", { name: /Boards/ }).click();
  await filter.fill("42 lark");
  await nav.getByRole("link", { name: /Board 42 larks/ }).click();
  await page.waitForURL(`${url}/b/board-42`);
  await page.getByRole("heading", { name: "Board 42 larks" }).waitFor();
  assert.equal(await filter.isVisible(), false, "folded again on the new board");
});

test("Lighthouse on the board page with a thousand boards: performance at least 0.8, accessibility 1, layout shift at most 0.1", async (t) => {
  // Lighthouse drives a Chromium of its own over the DevTools protocol, on a port found free here.
  const scores = await onFreePorts(1, async ([port]) => {
    const chromium = await launchBrowser([`--remote-debugging-port=${port}`]);
    try {
      const result = await lighthouse(`${url}/`, { port, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility"] });
      if (!result) throw new Error("Lighthouse gave no result");
      const { categories, audits } = result.lhr;
      return {
        performance: categories.performance?.score ?? 0,
        accessibility: categories.accessibility?.score ?? 0,
        layoutShift: audits["cumulative-layout-shift"]?.numericValue ?? Number.POSITIVE_INFINITY,
        failing: Object.values(audits)
          .filter((audit) => audit.score === 0 && audit.scoreDisplayMode === "binary")
          .map((audit) => audit.id),
      };
    } finally {
      await chromium.close();
    }
  });
  t.diagnostic(`Lighthouse (mobile, simulated throttling): ${JSON.stringify(scores)}`);
  assert.ok(scores.performance >= 0.8, `performance ${scores.performance}`);
  assert.equal(scores.accessibility, 1, `accessibility ${scores.accessibility}: ${scores.failing.join(", ")}`);
  assert.ok(scores.layoutShift <= 0.1, `cumulative layout shift ${scores.layoutShift}`);
});
