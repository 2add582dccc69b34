// Many tabs of one browser share one stream connection, and all stay live.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { appEnv, cleanupList, startConsumerProcess, startWebProcess, uniqueNames } from "../support/stack";

const cleanup = cleanupList();
let url: string;
let browser: Browser;

before(async () => {
  const env = appEnv(uniqueNames("tabs"));
  cleanup.add(await startConsumerProcess(env, "tabs-consumer"), (process) => process.stop());
  url = cleanup.add(await startWebProcess(env, "tabs-web"), (process) => process.stop()).url;
  browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
});
after(() => cleanup.run());

const allShow = (pages: Page[], text: string) => Promise.all(pages.map((page) => board(page).message(text).waitFor({ timeout: 10_000 })));

test("ten tabs in one browser all receive a new message over one stream; when that tab closes, another takes over", async (t) => {
  const context = await browser.newContext();
  try {
    const opened = { streams: 0 };
    context.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/messages/stream") opened.streams++;
    });
    const tabs: Page[] = [];
    for (let i = 0; i < 10; i++) {
      const page = await context.newPage();
      await board(page).open(url);
      tabs.push(page);
    }

    await board(tabs[4]!).send("to every tab");
    await allShow(tabs, "to every tab");
    assert.equal(opened.streams, 1, "one stream for ten tabs");

    await tabs[0]!.close(); // the tab that opened the stream
    const rest = tabs.slice(1);
    await board(rest[8]!).send("after the first tab closed");
    await allShow(rest, "after the first tab closed");
    t.diagnostic(`${opened.streams} stream requests for 10 tabs and one hand-over`);
    assert.equal(opened.streams, 2, "one new stream, opened by the tab that took over");
    for (const page of rest) assert.equal(await board(page).status.getAttribute("data-state"), "live");
  } finally {
    await context.close();
  }
});
