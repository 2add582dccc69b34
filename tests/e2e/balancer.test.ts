// One address for several web instances: Debian's nginx in front of two, as `npm run local -- --web 2`
// starts it, with viewers' streams spread over both.
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { startBalancer } from "../../scripts/stack/balancer";
import { audit, clean, range, seconds } from "../support/audit";
import { TRANSPORTS, watchBoard } from "../support/sse-viewer";
import { cleanupList, onFreePorts, postAccepted, stack, startApps, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const balance = async (name: string, web: { url: string }[]) =>
  cleanup.add(
    await onFreePorts(1, ([port = 0]) =>
      startBalancer({
        port,
        upstreams: web.map((instance) => Number(new URL(instance.url).port)),
        home: path.join(stack.workDir, name),
        output: { file: path.join(stack.workDir, `${name}.log`) },
      }),
    ),
    (nginx) => nginx.stop(),
  );

const viewersOn = async (url: string) => Number(/^board_viewers (\d+)$/m.exec(await (await fetch(`${url}/api/metrics`)).text())?.[1] ?? 0);

for (const transport of TRANSPORTS)
  test(`behind nginx: a post reaches viewers on every instance; when one stops, its viewers resume through the balancer (${transport})`, async (t) => {
    const { web } = await startApps(cleanup, `balanced-${transport}`, { TRUSTED_PROXY_HOPS: "1" }, 2);
    const [a, b] = [web[0]!, web[1]!];
    const balancer = await balance(`balancer-${transport}`, web);

    const viewers = range(4).map(() => cleanup.add(watchBoard([balancer.url], { transport }), (viewer) => viewer.close()));
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

    // What only operators may ask for is served by each instance, and not through the public balancer.
    for (const path of ["/api/metrics", "/api/inspect", "/inspect"]) {
      assert.equal((await fetch(`${b.url}${path}`)).status, 200, `${path} on an instance`);
      assert.equal((await fetch(`${balancer.url}${path}`)).status, 404, `${path} through the balancer`);
    }
    assert.equal((await fetch(`${balancer.url}/api/ready`)).status, 200, "the rest of the API is served");
  });

test("behind nginx a forged X-Forwarded-For does not change who the rate limit counts", async () => {
  const { web } = await startApps(cleanup, "forged", { TRUSTED_PROXY_HOPS: "1", POST_BURST: "2", POSTS_PER_MINUTE: "1" });
  const balancer = await balance("balancer-forged", web);
  const postAs = (forwardedFor: string) =>
    fetch(`${balancer.url}/api/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": forwardedFor },
      body: JSON.stringify({ text: `as ${forwardedFor}` }),
    }).then((response) => response.status);
  const statuses = [await postAs("203.0.113.1"), await postAs("203.0.113.2"), await postAs("203.0.113.3")];
  // Each post claims another address; nginx appends the real one, which is what the instance counts.
  assert.deepEqual(statuses, [201, 201, 429]);
});
