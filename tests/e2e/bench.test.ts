// `npm run bench` works: the tiny size, on the test stack and the build the browser tests use. Figures are
// not checked here; the benchmark is not a timed test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canRestorePriority } from "../../scripts/bench/page-flood";
import { runTinyBench } from "../support/bench";

test("the benchmark runs every scenario with its baseline (the naive design or the bare floor), prints the table and writes its figures", async () => {
  // Replication, which needs three nodes, runs in cluster.test.ts on the cluster started there.
  const { code, output, written } = await runTinyBench("bench-tiny.json", ["--only", "ingest,end-to-end,mixed,onset,page,fan-out,consumer,history,people"]);
  assert.equal(code, 0, output);
  for (const scenario of [
    "ingest, 1 client",
    "against bare node:http",
    "CPU µs per post",
    "boards, against one",
    "end to end p99",
    "mixed 20 viewers, 50/s offered: accepted",
    "web CPU per delivered event",
    "onset at 100/s, quiet, first",
    "onset at 100/s, one core busy, new connections",
    "each on a new connection",
    "page under 100 msg/s",
    // Putting the pipeline back in front afterwards takes root.
    ...(canRestorePriority() ? ["page under 100 msg/s for 2 s, pipeline in the background"] : []),
    "fan-out p99",
    "beside: the floor",
    "consumer, backlog",
    "history consumer",
    "search p95",
    "older page p95",
    "signed-in posts",
    "deletion to every window p99",
  ]) {
    assert.match(output, new RegExp(scenario));
  }
  assert.ok(written.machine.cpus > 0);
  assert.deepEqual(Object.keys(written.results).sort(), ["consumer", "endToEnd", "fanOut", "history", "ingest", "mixed", "onset", "page", "people"]);
});
