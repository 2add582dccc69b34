// One address for several web instances: Debian's nginx in front of two, as `npm run local -- --web 2`
// starts it, with viewers' streams spread over both.
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { startBalancer } from "../../scripts/stack/balancer";
import { audit, clean, range, seconds } from "../support/audit";
import { watchBoard } from "../support/sse-viewer";
import { cleanupList, onFreePorts, postAccepted, stack, startApps, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const viewersOn = async (url: string) => Number(/^board_viewers (\d+)$/m.exec(await (await fetch(`${url}/api/metrics`)).text())?.[1] ?? 0);

test("behind nginx: a post reaches viewers on every instance; when one stops, its viewers resume through the balancer", async (t) => {
  const { web } = await startApps(cleanup, "balanced", { TRUSTED_PROXY_HOPS: "1" }, 2);
  const [a, b] = [web[0]!, web[1]!];
  const balancer = cleanup.add(
    await onFreePorts(1, ([port = 0]) =>
      startBalancer({
        port,
        upstreams: web.map((instance) => Number(new URL(instance.url).port)),
        home: path.join(stack.workDir, "balancer"),
        output: { file: path.join(stack.workDir, "balancer.log") },
      }),
    ),
    (nginx) => nginx.stop(),
  );

  const viewers = range(4).map(() => cleanup.add(watchBoard([balancer.url]), (viewer) => viewer.close()));
  await Promise.all(viewers.map((viewer) => viewer.connected()));
  const spread = [await viewersOn(a.url), await viewersOn(b.url)];
  assert.ok(
    spread.every((count) => count > 0),
    `streams on both instances: ${spread.join(" and ")}`,
  );

  const sent: string[] = [];
  for (const i of range(10)) sent.push(await postAccepted(balancer.url, `through the balancer ${i}`));
  await waitFor("every viewer to have 10", () => viewers.every((viewer) => viewer.messages.length >= 10));

  const stopped = performance.now();
  await a.stop();
  for (const i of range(10)) sent.push(await postAccepted(balancer.url, `after one instance stopped ${i}`));
  await waitFor("every viewer to have all 20", () => viewers.every((viewer) => viewer.messages.length >= 20), { timeoutMs: 30_000 });
  const resumedMs = performance.now() - stopped;

  const moved = viewers.filter((viewer) => viewer.connections >= 2).length;
  t.diagnostic(`streams on the instances: ${spread.join(" + ")}; ${moved} viewer(s) moved and every viewer had all 20 ${seconds(resumedMs)} after the stop`);
  assert.equal(moved, spread[0], "the viewers of the stopped instance, and only they, reconnected");
  assert.equal(await viewersOn(b.url), 4, "all on the instance left");
  for (const viewer of viewers) {
    assert.deepEqual(clean(audit(viewer.messages, sent)), { lost: 0, duplicated: 0, reordered: 0 });
    assert.deepEqual(
      viewer.messages.map((message) => message.id),
      sent,
    );
  }
});
