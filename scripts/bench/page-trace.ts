import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// Chromium's trace format: complete events ("X") with wall time (`dur`) and the time their thread ran on a
// core (`tdur`), in µs; metadata events ("M") name the threads.
const eventSchema = z.object({
  name: z.string(),
  ph: z.string(),
  pid: z.number(),
  tid: z.number(),
  ts: z.number(),
  dur: z.number().optional(),
  tdur: z.number().optional(),
  args: z.object({ name: z.string().optional() }).optional(),
});
type TraceEvent = z.infer<typeof eventSchema>;
type Span = TraceEvent & { dur: number };

/** What a page's trace records: tasks and what ran in them, with CPU time, and garbage collection. */
export const TRACE_CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "disabled-by-default-v8.gc"];

/** A task the browser runs on a thread: what the Long Tasks API times. */
const TASK = "ThreadControllerImpl::RunTask";
const LONG_TASK_US = 50_000;

/** Names of the work a task did, in the words of the DevTools Performance panel. */
const KIND: Record<string, string> = {
  FunctionCall: "script",
  EvaluateScript: "script",
  "v8.callFunction": "script",
  TimerFire: "script",
  EventDispatch: "script",
  FireAnimationFrame: "script",
  RunMicrotasks: "script",
  "V8.Execute": "script",
  UpdateLayoutTree: "style",
  ScheduleStyleRecalculation: "style",
  Layout: "layout",
  PrePaint: "paint",
  Paint: "paint",
  Layerize: "paint",
  UpdateLayer: "paint",
  Commit: "paint",
  MinorGC: "garbage collection",
  MajorGC: "garbage collection",
  "V8.GC_SCAVENGER": "garbage collection",
  "V8.GC_MARK_COMPACTOR": "garbage collection",
  ParseHTML: "parsing",
  "v8.compile": "compiling",
  "V8.CompileCode": "compiling",
};

export type LongTaskSummary = {
  count: number;
  wallMs: number;
  /** Of the wall time, how long the thread was on a core; the rest it waited for one. */
  cpuMs: number;
  /** The most time one task spent on a core: the page's own cost, however long it waited for one. */
  longestCpuMs: number;
  /** Time of the long tasks by kind of work, excluding what nested work of another kind took. */
  byKind: { kind: string; ms: number }[];
};

/**
 * The long tasks on the busiest renderer main thread of a Chromium trace: how much of their time the
 * thread ran, and what it ran. Work no kind names counts as "other"; time outside any event, within a
 * task, as "task itself".
 */
export function summarizeTrace(trace: unknown): LongTaskSummary {
  const events = z
    .object({ traceEvents: z.array(z.unknown()) })
    .parse(trace)
    .traceEvents.flatMap((raw) => {
      const parsed = eventSchema.safeParse(raw);
      return parsed.success ? [parsed.data] : [];
    });
  const mains = new Set(events.filter((event) => event.ph === "M" && event.args?.name === "CrRendererMain").map((event) => `${event.pid}:${event.tid}`));
  const spans = new Map<string, Span[]>();
  for (const event of events) {
    const thread = `${event.pid}:${event.tid}`;
    if (event.ph !== "X" || event.dur === undefined || !mains.has(thread)) continue;
    const onThread = spans.get(thread) ?? [];
    onThread.push({ ...event, dur: event.dur });
    spans.set(thread, onThread);
  }
  const busiest = [...spans.values()].sort((a, b) => taskTime(b) - taskTime(a))[0] ?? [];
  const byKind = new Map<string, number>();
  let count = 0;
  let wall = 0;
  let cpu = 0;
  let longestCpu = 0;
  for (const [task, nested] of tasksWithNested(busiest)) {
    longestCpu = Math.max(longestCpu, task.tdur ?? task.dur);
    if (task.dur < LONG_TASK_US) continue;
    count += 1;
    wall += task.dur;
    cpu += task.tdur ?? task.dur;
    for (const [kind, us] of selfTimeByKind(task, nested)) byKind.set(kind, (byKind.get(kind) ?? 0) + us);
  }
  return {
    count,
    wallMs: wall / 1000,
    cpuMs: cpu / 1000,
    longestCpuMs: longestCpu / 1000,
    byKind: [...byKind].map(([kind, us]) => ({ kind, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
  };
}

const taskTime = (spans: Span[]) => spans.reduce((sum, span) => sum + (span.name === TASK ? span.dur : 0), 0);

/** Each top-level task with the events inside it, in order of start. */
function tasksWithNested(spans: Span[]): [Span, Span[]][] {
  const sorted = spans.toSorted((a, b) => a.ts - b.ts || b.dur - a.dur);
  const tasks: [Span, Span[]][] = [];
  let current: [Span, Span[]] | undefined;
  for (const span of sorted) {
    if (current && span.ts < current[0].ts + current[0].dur) current[1].push(span);
    else if (span.name === TASK) tasks.push((current = [span, []]));
    else current = undefined;
  }
  return tasks;
}

/** The time of each kind of work in `task`: an event's own time goes to the nearest enclosing kind. */
function selfTimeByKind(task: Span, nested: Span[]): Map<string, number> {
  const totals = new Map<string, number>();
  const stack: { span: Span; kind: string; self: number }[] = [{ span: task, kind: "task itself", self: task.dur }];
  const close = () => {
    const done = stack.pop()!;
    totals.set(done.kind, (totals.get(done.kind) ?? 0) + done.self);
  };
  for (const span of nested) {
    while (stack.length > 1 && span.ts >= stack.at(-1)!.span.ts + stack.at(-1)!.span.dur) close();
    const parent = stack.at(-1)!;
    const inside = Math.min(span.dur, parent.span.ts + parent.span.dur - span.ts);
    parent.self -= inside;
    stack.push({ span: { ...span, dur: inside }, kind: KIND[span.name] ?? (parent.kind === "task itself" ? "other" : parent.kind), self: inside });
  }
  while (stack.length > 0) close();
  return totals;
}

/** The summary of every trace in `dir`, as lines to print. */
export function summarizeTraces(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".trace.json"))
    .map((file) => {
      const { count, wallMs, cpuMs, byKind } = summarizeTrace(JSON.parse(readFileSync(path.join(dir, file), "utf8")));
      const kinds = byKind.map(({ kind, ms }) => `${kind} ${Math.round(ms)}`).join(", ");
      return `${file}: ${count} long tasks, ${Math.round(wallMs)} ms, of which ${Math.round(cpuMs)} ms on a core; by kind (ms): ${kinds}`;
    });
}
