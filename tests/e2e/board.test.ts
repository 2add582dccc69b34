// The board in real Chromium against the production build and the real pipeline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright";
import type { ManagedProcess } from "../../scripts/stack/processes";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { appEnv, startConsumerProcess, startWebProcess, testRedis, uniqueNames, UNREACHABLE_BROKER, waitFor } from "../support/stack";

const names = uniqueNames("board");
const started: ManagedProcess[] = [];
let web: ManagedProcess & { url: string };
let browser: Browser;

before(async () => {
  started.push(await startConsumerProcess(appEnv(names), "board-consumer"));
  web = await startWebProcess(appEnv(names), "board-web");
  started.push(web);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await Promise.all(started.map((process) => process.stop()));
});

test("a message posted in one window appears in both, and a reload keeps it", async () => {
  const [alice, bob] = await Promise.all([browser.newContext(), browser.newContext()]);
  try {
    const alicePage = board(await alice.newPage());
    const bobPage = board(await bob.newPage());
    await Promise.all([alicePage.open(web.url), bobPage.open(web.url)]);

    await alicePage.name.fill("Alice");
    await alicePage.send("Hello from Alice\nwith a second line");
    for (const page of [alicePage, bobPage]) {
      await page.message("Hello from Alice").waitFor({ timeout: 10_000 });
      // An item off the screen's first frame is laid out (content-visibility: auto) a frame after it is attached.
      await waitFor("Alice's message shown in full", async () => /Alice[\s\S]*just now/.test(await page.message("Hello from Alice").innerText()));
    }
    assert.equal(await alicePage.text.inputValue(), "", "the form is cleared after a post");

    await bobPage.send("Hi Alice");
    await alicePage.message("Hi Alice").waitFor({ timeout: 10_000 });
    assert.deepEqual(
      (await alicePage.messages.allInnerTexts()).map((text) => text.split("\n").at(-1)),
      (await bobPage.messages.allInnerTexts()).map((text) => text.split("\n").at(-1)),
      "both windows show the same messages in the same order",
    );

    const page = alice.pages()[0]!;
    await page.reload();
    await board(page).message("Hello from Alice").waitFor();
    await board(page).message("Hi Alice").waitFor();
    // The saved name is filled in once the page is hydrated, which may come after the messages show.
    await waitFor("the name is remembered", async () => (await board(page).name.inputValue()) === "Alice", { timeoutMs: 10_000 });
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
});

test("Enter sends, Shift+Enter starts a new line", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const view = board(page);
    await view.open(web.url);
    await view.text.fill("line one");
    await view.text.press("Shift+Enter");
    await view.text.pressSequentially("line two");
    assert.equal(await view.text.inputValue(), "line one\nline two");
    await view.text.press("Enter");
    await view.message("line two").waitFor({ timeout: 10_000 });
  } finally {
    await context.close();
  }
});

test("an invalid post shows the server's error next to the field and stores nothing", async () => {
  const context = await browser.newContext();
  const redis = testRedis();
  try {
    const view = board(await context.newPage());
    await view.open(web.url);
    const before = await redis.llen(names.list);
    await view.send("a bell \u0007 is a control character");
    await view.alerts.filter({ hasText: "text must not contain control characters" }).waitFor({ timeout: 10_000 });
    assert.equal(await redis.llen(names.list), before);
  } finally {
    redis.disconnect();
    await context.close();
  }
});

test("markup in a message is shown as text and runs nothing", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const view = board(page);
    await view.open(web.url);
    await view.send(`<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`);
    await view.message("<script>").waitFor({ timeout: 10_000 });
    assert.notEqual(await page.title(), "pwned");
    assert.equal(await page.locator("ol img").count(), 0);

    // Even markup that did reach the page could not run a script: without 'unsafe-inline', an inline event
    // handler is refused by the page's policy.
    const ran = await page.evaluate(async () => {
      const refused = new Promise<string>((resolve) => {
        document.addEventListener("securitypolicyviolation", (event) => resolve(event.violatedDirective), { once: true });
        setTimeout(() => resolve("nothing refused"), 5000);
      });
      document.body.insertAdjacentHTML("beforeend", `<img src="data:," onload="document.title='pwned'">`);
      return { directive: await refused, title: document.title };
    });
    assert.match(ran.directive, /^script-src/);
    assert.notEqual(ran.title, "pwned");
  } finally {
    await context.close();
  }
});

test("with Kafka down the page says the post failed; with Redis fine it is still live", async () => {
  const isolated = await startWebProcess(appEnv(names, { KAFKA_BROKERS: UNREACHABLE_BROKER }), "board-web-no-kafka");
  started.push(isolated);
  const context = await browser.newContext();
  try {
    const view = board(await context.newPage());
    await view.open(isolated.url);
    await view.send("nobody will read this");
    await view.alerts.filter({ hasText: "Kafka did not accept the message" }).waitFor({ timeout: 10_000 });
    const unsent = view.outgoing("nobody will read this");
    assert.match(await unsent.innerText(), /Not sent/);
    assert.equal(await unsent.getByRole("button", { name: "Retry" }).count(), 1, "the message waits for another try");
  } finally {
    await context.close();
  }
});

test("the connection state turns from live to reconnecting when the web app goes away", async () => {
  const own = await startWebProcess(appEnv(names), "board-web-stopped");
  started.push(own);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await board(page).open(own.url);
    await own.stop();
    await waitFor("the badge to leave 'Live'", async () => (await page.getByRole("status").getAttribute("data-state")) !== "live", {
      timeoutMs: 15_000,
    });
    assert.match(await page.getByRole("status").innerText(), /Reconnecting|Offline/);
  } finally {
    await context.close();
  }
});
