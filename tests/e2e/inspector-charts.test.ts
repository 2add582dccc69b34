// The inspector's live charts, in Chromium: they draw, move while posts flow, fit a phone and follow
// dark mode.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { launchBrowser } from "../../scripts/stack/browser";
import { watchBoard } from "../support/sse-viewer";
import { cleanupList, postAccepted, startApps, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

test("the inspector's live charts draw throughput, latency per stage, lag and viewers, and move while posts flow", async (t) => {
  const { web } = await startApps(cleanup, "charts");
  const url = web[0]!.url;
  const viewer = cleanup.add(watchBoard([url]), (opened) => opened.close());
  await viewer.connected();
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark" })).newPage();
  await page.goto(`${url}/inspect`);
  const figures = page.locator("figure");
  await waitFor("five charts", async () => (await figures.count()) === 5);
  assert.deepEqual(await figures.locator("figcaption > span.font-semibold").allTextContents(), [
    "Messages per second",
    "Latency per stage, p50",
    "Latency per stage, p99",
    "Consumer lag per partition",
    "Viewers",
  ]);

  let posting = true;
  const posts = (async () => {
    for (let i = 0; posting; i++) {
      await postAccepted(url, `chart ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const throughput = figures.filter({ hasText: "Messages per second" });
  const before = Number(await throughput.getAttribute("data-points"));
  try {
    await waitFor(
      "messages in, stored and out on the chart",
      async () => /in [1-9][\d.]* \/s, stored [1-9][\d.]* \/s, out [1-9][\d.]* \/s/.test((await throughput.locator("figcaption").textContent()) ?? ""),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await waitFor("latency of every stage", async () => !((await figures.filter({ hasText: "p50" }).locator("figcaption").textContent()) ?? "").includes("–"), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await waitFor("the charts to move on", async () => Number(await throughput.getAttribute("data-points")) >= before + 3, { timeoutMs: 30_000 });
  } finally {
    posting = false;
    await posts;
  }
  t.diagnostic(
    `${(await throughput.locator("figcaption").textContent()) ?? ""}; ${(await figures.filter({ hasText: "p50" }).locator("figcaption").textContent()) ?? ""}`,
  );

  // Drawn, within a phone's width, with light text on a dark card in dark mode.
  for (const canvas of await figures.locator("canvas").all()) {
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 200 && box.x + box.width <= 390, `a chart ${JSON.stringify(box)} fits the screen`);
  }
  // Colours as the screen shows them (Tailwind writes them in lab()): painted on a canvas and read back.
  // (No named functions inside: the page has none of the helpers the test runner's compiler adds for them.)
  const [background = 0, color = 0] = await figures.first().evaluate((figure) => {
    const context = document.createElement("canvas").getContext("2d", { willReadFrequently: true })!;
    return [getComputedStyle(figure).backgroundColor, getComputedStyle(figure).color].map((css) => {
      context.fillStyle = css;
      context.fillRect(0, 0, 1, 1);
      const [r = 0, g = 0, b = 0] = context.getImageData(0, 0, 1, 1).data;
      return (r + g + b) / 3;
    });
  });
  assert.ok(background < 80 && color > 180, `dark mode: brightness ${background} behind ${color}`);
});
