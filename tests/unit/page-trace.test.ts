import assert from "node:assert/strict";
import { test } from "node:test";
import { summarizeTrace } from "../../scripts/bench/page-trace";

const thread = (pid: number, name: string) => ({ name: "thread_name", ph: "M", pid, tid: 1, ts: 0, args: { name } });
const span = (pid: number, name: string, ts: number, dur: number, tdur?: number) => ({ name, ph: "X", pid, tid: 1, ts, dur, tdur });
const TASK = "ThreadControllerImpl::RunTask";

/** Times in µs. The page's renderer has one long task of 120 ms, which ran on a core for 60 ms, and a short one. */
const trace = {
  traceEvents: [
    thread(1, "CrRendererMain"),
    thread(2, "CrRendererMain"),
    thread(3, "CrBrowserMain"),
    span(1, TASK, 0, 120_000, 60_000),
    span(1, "FunctionCall", 1_000, 50_000),
    span(1, "MinorGC", 10_000, 10_000),
    span(1, "Layout", 60_000, 30_000),
    span(1, "LayoutShiftTracking", 61_000, 2_000),
    span(1, "SomethingUnnamed", 95_000, 5_000),
    span(1, TASK, 200_000, 30_000, 30_000),
    // Another renderer, less busy, and the browser's own long task: neither is the page's.
    span(2, TASK, 0, 60_000),
    span(3, TASK, 0, 500_000),
    { malformed: true },
  ],
};

test("a trace's long tasks are split by kind of work, each event's own time going to the nearest kind that encloses it", () => {
  const summary = summarizeTrace(trace);
  assert.equal(summary.count, 1, "the short task and other threads' tasks are left out");
  assert.equal(summary.wallMs, 120);
  assert.equal(summary.cpuMs, 60, "time waiting for a core is told apart");
  assert.equal(summary.longestCpuMs, 60, "the page's own cost of its longest task");
  assert.deepEqual(summary.byKind, [
    { kind: "script", ms: 40 },
    { kind: "task itself", ms: 35 },
    { kind: "layout", ms: 30 },
    { kind: "garbage collection", ms: 10 },
    { kind: "other", ms: 5 },
  ]);
});

test("a trace with no renderer has no long tasks", () => {
  assert.deepEqual(summarizeTrace({ traceEvents: [thread(3, "CrBrowserMain"), span(3, TASK, 0, 500_000)] }), {
    count: 0,
    wallMs: 0,
    cpuMs: 0,
    longestCpuMs: 0,
    byKind: [],
  });
});
