import assert from "node:assert/strict";
import { test } from "node:test";
import { PipelineWindow } from "../../src/lib/metrics/pipeline-window";
import { storedMessage } from "../support/messages";

test("the live window counts per second and gives each stage's p50 and p99 over the last seconds only", () => {
  const created = Date.parse("2026-01-01T00:00:00.000Z");
  let now = created + 100;
  const live = new PipelineWindow(5000, () => now);
  for (let i = 0; i < 100; i++) {
    live.accept();
    // Appended 2 ms after it was accepted, consumed 1 ms later, stored i ms after that, delivered at `now`.
    live.stored({
      ...storedMessage(i + 1),
      createdAt: new Date(created).toISOString(),
      appendedAt: created + 2,
      consumedAt: created + 3,
      storedAt: created + 3 + i,
    });
    live.delivered(2);
  }
  live.delivered(0);
  now = created + 200;
  const figures = live.figures();
  assert.deepEqual(figures.stages.append, { p50: 2, p99: 2 });
  assert.deepEqual(figures.stages.consume, { p50: 1, p99: 1 });
  assert.deepEqual(figures.stages.store, { p50: 49, p99: 98 });
  assert.deepEqual(figures.stages.deliver, { p50: 47, p99: 96 });
  assert.deepEqual([figures.inPerSecond, figures.storedPerSecond, figures.outPerSecond], [20, 20, 40]);

  now = created + 5_200;
  const later = live.figures();
  assert.deepEqual([later.inPerSecond, later.outPerSecond, later.stages.store.p50], [0, 0, null], "gone after the window");
});

test("under a steady load the live window keeps counting the last seconds as they pass", () => {
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  const live = new PipelineWindow(5000, () => now);
  // 20 s at 1,000 posts a second, one stored and sent to 3 viewers each; the figures read every second.
  for (let ms = 1; ms <= 20_000; ms++) {
    now += 1;
    live.accept();
    live.stored({ ...storedMessage(ms), createdAt: new Date(now - 10).toISOString(), appendedAt: now - 8, consumedAt: now - 6, storedAt: now - 4 });
    live.delivered(3);
    if (ms % 1000 !== 0 || ms < 5000) continue;
    const figures = live.figures();
    assert.ok(Math.abs(figures.inPerSecond - 1000) <= 20, `${figures.inPerSecond} posts/s at ${ms} ms`);
    assert.ok(Math.abs(figures.storedPerSecond - 1000) <= 20, `${figures.storedPerSecond} stored/s at ${ms} ms`);
    assert.ok(Math.abs(figures.outPerSecond - 3000) <= 60, `${figures.outPerSecond} sent/s at ${ms} ms`);
    assert.deepEqual(figures.stages.append, { p50: 2, p99: 2 });
    assert.deepEqual(figures.stages.deliver, { p50: 4, p99: 4 });
  }
});

test("a busy window is sampled, and each sample weighs as many messages as it stands for", () => {
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  // A seeded generator (mulberry32), so that the sample is the same on every run.
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const live = new PipelineWindow(5000, () => now, random);
  const store = (seq: number, storeMs: number) =>
    live.stored({ ...storedMessage(seq), createdAt: new Date(now).toISOString(), appendedAt: now, consumedAt: now, storedAt: now + storeMs });
  // A burst of 10,000 messages in a tenth of a second, each stored in 100 ms; then 100 quiet ones, in 5 ms.
  for (let i = 0; i < 10_000; i++) store(i, 100);
  now += 500;
  for (let i = 0; i < 100; i++) store(10_000 + i, 5);
  const figures = live.figures();
  assert.equal(figures.storedPerSecond, 10_100 / 5, "every message counts, sampled or not");
  assert.deepEqual(figures.stages.store, { p50: 100, p99: 100 }, "the burst's few samples outweigh the quiet messages");

  now += 5_000;
  for (let i = 0; i < 10_000; i++) store(20_000 + i, i % 1000);
  const spread = live.figures().stages.store;
  // A median from 100 samples of 0 to 999 ms is within 150 ms of 500 but for about 1 time in 370.
  assert.ok(Math.abs(spread.p50! - 500) <= 150, `p50 ${spread.p50} of times spread evenly over 0 to 999 ms`);
});
