// How many read a board, on the page: three browsers on two web instances, counted across both; a browser
// that leaves is subtracted at once, and so are the readers of an instance killed with kill -9, within
// seconds. A browser's tabs share one stream and count once.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Browser, Page } from "playwright";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { cleanupList, startApps, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const readersOn = (page: Page, count: number) => page.getByText(`${count} reading now`, { exact: true }).waitFor({ timeout: 10_000 });

async function openBoard(browser: Browser, url: string, tabs = 1): Promise<Page[]> {
  const context = await browser.newContext();
  const pages = [];
  for (let i = 0; i < tabs; i++) {
    const page = await context.newPage();
    await board(page).open(url);
    pages.push(page);
  }
  return pages;
}

test("each page shows how many browsers read the board, across instances, live; an instance that dies stops counting", async (t) => {
  const { web } = await startApps(cleanup, "presence", {}, 2);
  const [first, second] = web.map((instance) => instance.url) as [string, string];
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());

  const [leaving] = await openBoard(browser, first);
  const [staying] = await openBoard(browser, first);
  // A browser with two tabs: one stream, one reader.
  const onSecond = await openBoard(browser, second, 2);
  const everyone = [leaving!, staying!, ...onSecond];
  await Promise.all(everyone.map((page) => readersOn(page, 3)));

  await leaving!.context().close();
  await Promise.all([staying!, ...onSecond].map((page) => readersOn(page, 2)));

  const killed = Date.now();
  await web[1]!.kill();
  await waitFor("the count to drop to 1", async () => (await staying!.getByText("1 reading now", { exact: true }).count()) === 1, { timeoutMs: 15_000 });
  const seconds = (Date.now() - killed) / 1000;
  t.diagnostic(`readers of the killed instance stopped counting ${seconds.toFixed(1)} s after kill -9`);
  assert.ok(seconds < 10, `within seconds: ${seconds.toFixed(1)} s`);
});
