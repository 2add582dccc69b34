import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { frameBatch } from "../../src/components/frame-batch";
import { waitFor } from "../../scripts/stack/wait";

// A visible page, whose frames come every 16 ms.
before(() => {
  Object.assign(globalThis, {
    document: { visibilityState: "visible" },
    requestAnimationFrame: (callback: () => void) => setTimeout(callback, 16),
    cancelAnimationFrame: (frame: ReturnType<typeof setTimeout>) => clearTimeout(frame),
  });
});
after(() => {
  for (const name of ["document", "requestAnimationFrame", "cancelAnimationFrame"]) Reflect.deleteProperty(globalThis, name);
});

function recorder() {
  const handed: { at: number; items: number[] }[] = [];
  return { handed, apply: (items: number[]) => void handed.push({ at: performance.now(), items }) };
}

test("a flood is handed over in steps at least the interval apart, each with all that arrived, in order", async () => {
  const { handed, apply } = recorder();
  const batch = frameBatch(apply, 100);
  let next = 0;
  const flood = setInterval(() => batch.add(next++), 2);
  await waitFor("half a second of items", () => next >= 250, { intervalMs: 10 });
  clearInterval(flood);
  await waitFor("every item handed over", () => handed.flatMap((step) => step.items).length === next);

  assert.deepEqual(
    handed.flatMap((step) => step.items),
    Array.from({ length: next }, (_, i) => i),
  );
  const gaps = handed.slice(1).map((step, i) => step.at - handed[i]!.at);
  assert.ok(
    gaps.every((gap) => gap >= 95),
    `steps ${gaps.map((gap) => gap.toFixed(0)).join(", ")} ms apart`,
  );
  assert.ok(handed.length <= Math.ceil(next / 25), `${handed.length} steps for ${next} items`);
});

test("an item after a quiet spell goes at the next frame; cancel drops what waits", async () => {
  const { handed, apply } = recorder();
  const batch = frameBatch(apply, 100);
  batch.add(1);
  await waitFor("the first item", () => handed.length === 1);
  const quietUntil = handed[0]!.at + 100;
  await waitFor("a quiet spell", () => performance.now() >= quietUntil, { intervalMs: 5 });

  const added = performance.now();
  batch.add(2);
  await waitFor("the item after the quiet spell", () => handed.length === 2);
  assert.ok(handed[1]!.at - added < 60, `handed over ${(handed[1]!.at - added).toFixed(0)} ms after it arrived`);

  batch.add(3);
  batch.cancel();
  batch.add(4);
  await waitFor("the item after the cancel", () => handed.length === 3);
  assert.deepEqual(handed[2]!.items, [4]);
});
