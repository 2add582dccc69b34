// `npm run bench [-- --size tiny|full] [--runs N] [--no-build] [--out FILE] [--only a,b] [--profile]`: measures the
// pipeline against a Kafka broker and redis-server of its own and compares each scenario with a naive design
// (scripts/bench/naive.ts), a three-node cluster with the one broker ("replication"), and lasting history in
// PostgreSQL beside the naive way to keep it ("history", scripts/bench/history.ts). Prints a table and writes the figures, machine and settings as JSON.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { startBoardConsumer } from "../src/lib/consumer/board-consumer";
import { createKafka } from "../src/lib/kafka/client";
import { logKey, readLogIdentity } from "../src/lib/kafka/log-identity";
import { createLogger } from "../src/lib/log";
import { ensureBoardTopics } from "../src/lib/kafka/topics";
import { createMessage } from "../src/lib/messages/create";
import { storeKeys } from "../src/lib/store/keys";
import { seedStore } from "../src/lib/store/message-store";
import { createRedis } from "../src/lib/store/redis";
import {
  closedLoop,
  createBoard,
  dropConnections,
  figure,
  groupCpuSeconds,
  groupRss,
  oneConnectionEach,
  openViewer,
  post,
  quantile,
  type Figure,
} from "./bench/measure";
import { summarizeProfiles } from "./bench/cpu-profile";
import { summarizeTraces } from "./bench/page-trace";
import { canRestorePriority, floodPage, type PageFlood } from "./bench/page-flood";
import { board as boardPage, launchBrowser } from "./stack/browser";
import { benchHistory } from "./bench/history";
import { offeredLoad, STAGES, type OfferedLoad, type Stage } from "./bench/offered-load";
import { startNaiveConsumer } from "./bench/naive";
import { startConsumerApp, startWebApp } from "./stack/app-processes";
import { startOwnKafka, startOwnStack } from "./stack/own-stack";
import { CHROMIUM } from "./stack/prerequisites";
import { PROJECT_ROOT } from "./stack/paths";
import { runScript, runToEnd, startProcess, typescript, type ManagedProcess } from "./stack/processes";
import { freePort, waitFor } from "./stack/wait";

const SIZES = {
  tiny: {
    runs: 1,
    warmUpRecords: 1000,
    warmUpMs: 300,
    ingestMs: 300,
    concurrency: [1, 4],
    ingestBoards: 2,
    rates: [50],
    rateMs: 500,
    viewers: [20],
    baselineViewers: 20,
    mixed: [{ viewers: 20, rate: 50 }],
    mixedMs: 1000,
    onset: { rate: 100, ms: 1000 },
    page: { rates: [100], seconds: 2 },
    broadcasts: 2,
    backlog: 500,
    baselineBacklog: 200,
    history: { messages: 3000, boards: 10, naiveRecords: 300, queries: 20, naiveQueries: 5 },
  },
  full: {
    runs: 3,
    warmUpRecords: 50_000,
    warmUpMs: 5000,
    ingestMs: 5000,
    concurrency: [1, 16, 128],
    ingestBoards: 8,
    rates: [100, 1000],
    rateMs: 5000,
    viewers: [1000, 5000, 10000],
    baselineViewers: 1000,
    mixed: [
      { viewers: 100, rate: 500 },
      { viewers: 1000, rate: 100 },
      { viewers: 10_000, rate: 20 },
    ],
    mixedMs: 10_000,
    onset: { rate: 1000, ms: 3000 },
    page: { rates: [100, 500], seconds: 10 },
    broadcasts: 5,
    backlog: 100_000,
    baselineBacklog: 20_000,
    history: { messages: 1_000_000, boards: 100, naiveRecords: 20_000, queries: 500, naiveQueries: 30 },
  },
};

const { values: options } = parseArgs({
  options: {
    size: { type: "string", default: "full" },
    runs: { type: "string" },
    "no-build": { type: "boolean", default: false },
    out: { type: "string" },
    only: { type: "string" },
    // Writes a CPU profile of each web process and prints where its time went (the figures pay for it).
    profile: { type: "boolean", default: false },
  },
});
if (options.size !== "tiny" && options.size !== "full") throw new Error(`--size is tiny or full, not ${options.size}`);
const size = { ...SIZES[options.size], ...(options.runs && { runs: Number(options.runs) }) };
const say = (line: string) => console.log(`[bench] ${line}`);
// What a page's trace records: tasks and what ran in them, with CPU time, and garbage collection.
const TRACE_CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "disabled-by-default-v8.gc"];

/**
 * The page shares this machine's cores with the whole pipeline, which a reader's browser does not. Each
 * rate is measured as it is, then with the pipeline's processes (and this one) behind the browser, as on
 * a reader's own computer, which tells the page's own work from its wait for a core.
 */
const PAGE_LEGS = [
  { label: "", file: "", background: false },
  { label: ", pipeline in the background", file: "-background", background: true },
];

const SCENARIOS = ["ingest", "end-to-end", "mixed", "onset", "page", "fan-out", "consumer", "replication", "history"] as const;
const only = options.only?.split(",").map((name) => name.trim()) ?? [...SCENARIOS];
const unknownScenario = only.find((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknownScenario) throw new Error(`--only takes ${SCENARIOS.join(", ")}; not ${unknownScenario}`);
const wanted = (scenario: (typeof SCENARIOS)[number]) => only.includes(scenario);
const quiet = createLogger("bench", { LOG_LEVEL: "error", LOG_FORMAT: "pretty" });
const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules", ".bin", name);
const running: ManagedProcess[] = [];
const results: Record<string, unknown> = {};
const rows: [string, string, string, string][] = [];

function row(scenario: string, product: Figure, baseline: Figure | undefined, unit: string, lowerIsBetter = false) {
  const show = (f: Figure) => `${round(f.median)} ${unit} (${round(f.min)}–${round(f.max)})`;
  const ratio = baseline ? (lowerIsBetter ? baseline.median / product.median : product.median / baseline.median) : NaN;
  rows.push([scenario, show(product), baseline ? show(baseline) : "–", Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : "–"]);
}
const round = (value: number) => (Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en") : Number(value.toPrecision(3)).toString());

async function repeat<T>(runs: number, once: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let run = 0; run < runs; run++) out.push(await once(run));
  return out;
}

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), "message-board-bench-"));
  const reuse = process.env.TEST_KAFKA_BROKERS && process.env.TEST_REDIS_URL && process.env.TEST_DATABASE_URL;
  const stack = reuse
    ? { brokers: process.env.TEST_KAFKA_BROKERS!.split(","), redisUrl: process.env.TEST_REDIS_URL!, databaseUrl: process.env.TEST_DATABASE_URL! }
    : await startOwnStack(work, say, wanted("page") ? [CHROMIUM] : []).then((own) => (running.push(...own.processes), own));
  // Redis's and the broker's processes (PostgreSQL comes last), to count their CPU time; unknown when reusing a stack.
  const [redisProcess, kafkaProcess] = "processes" in stack ? stack.processes : [];
  // The process groups of a reused stack, which `npm test` passes on, to put behind the browser.
  const reusedGroups = reuse ? (process.env.TEST_STACK_PROCESS_GROUPS?.split(",").map(Number) ?? []) : [];
  if (!options["no-build"]) {
    say("Building the web app…");
    await runToEnd(startProcess("build", bin("next"), ["build"], { env: { NEXT_TELEMETRY_DISABLED: "1" }, output: { file: path.join(work, "build.log") } }));
  }
  const kafka = createKafka(stack.brokers, "bench", quiet);
  const redis = new Redis(stack.redisUrl);
  redis.on("error", () => {});
  let board = 0;
  /** A fresh topic, group, list and channel, so that runs do not see each other; on the one broker or a cluster. */
  const fresh = async (target = { brokers: stack.brokers, kafka, copies: 1 }) => {
    const id = `bench-${process.pid}-${++board}`;
    const env = {
      KAFKA_BROKERS: target.brokers.join(","),
      KAFKA_REPLICATION_FACTOR: String(target.copies),
      REDIS_URL: stack.redisUrl,
      KAFKA_TOPIC: id,
      KAFKA_DLQ_TOPIC: `${id}.dlq`,
      KAFKA_BOARDS_TOPIC: `${id}.boards`,
      KAFKA_CONSUMER_GROUP: `${id}-store`,
      REDIS_MESSAGES_KEY: `${id}:messages`,
      REDIS_CHANNEL: `${id}:new`,
      POSTS_PER_MINUTE: "1000000",
      POST_BURST: "1000000",
      BOARDS_PER_HOUR: "1000000",
      BOARD_BURST: "1000000",
      STREAMS_PER_CLIENT: "100000",
      STREAMS_PER_PROCESS: "100000",
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: "warn",
    };
    await ensureBoardTopics(target.kafka, {
      KAFKA_TOPIC: id,
      KAFKA_TOPIC_PARTITIONS: 3,
      KAFKA_DLQ_TOPIC: env.KAFKA_DLQ_TOPIC,
      KAFKA_BOARDS_TOPIC: env.KAFKA_BOARDS_TOPIC,
      KAFKA_REPLICATION_FACTOR: target.copies,
      KAFKA_RETENTION_MS: -1,
    });
    return { id, env, keys: storeKeys({ REDIS_MESSAGES_KEY: env.REDIS_MESSAGES_KEY, REDIS_CHANNEL: env.REDIS_CHANNEL, BOARD_ID: "main" }) };
  };
  const logTo = (name: string) => ({ file: path.join(work, `${name}.log`) });
  const track = <T extends ManagedProcess>(child: T) => (running.push(child), child);
  const profiles = path.join(PROJECT_ROOT, ".local", "bench", "profiles");
  if (options.profile) rmSync(profiles, { recursive: true, force: true });
  const profiled = (name: string) => (options.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.join(profiles, name)}`] : []);
  const web = (env: Record<string, string>, name: string) => startWebApp(name, env, { output: logTo(name), onStart: track, nodeFlags: profiled(name) });
  const naiveServer = async (board: Awaited<ReturnType<typeof fresh>>, name: string) => {
    const port = await freePort();
    const args = [String(port), stack.brokers.join(","), stack.redisUrl, board.env.KAFKA_TOPIC, board.env.REDIS_CHANNEL];
    const child = track(startProcess(name, ...typescript("scripts/bench/naive.ts", args), { cwd: PROJECT_ROOT, output: logTo(name) }));
    await waitFor(name, () => child.recentOutput().includes("naive server ready"), { timeoutMs: 60_000 });
    return { ...child, url: `http://127.0.0.1:${port}` };
  };
  /** The floor: scripts/bench/floor.ts, the same POST and stream from memory. */
  const floorServer = async (name: string) => {
    const port = await freePort();
    const child = track(startProcess(name, ...typescript("scripts/bench/floor.ts", [String(port)]), { cwd: PROJECT_ROOT, output: logTo(name) }));
    await waitFor(name, () => child.recentOutput().includes("floor server ready"), { timeoutMs: 60_000 });
    return { ...child, url: `http://127.0.0.1:${port}` };
  };
  const consumerProcess = (env: Record<string, string>, name: string) => startConsumerApp(name, env, { output: logTo(name), onStart: track });
  const stop = async (...children: ManagedProcess[]) => {
    await Promise.all(children.map((child) => child.stop()));
    for (const child of children) {
      const at = running.findIndex((started) => started.pid === child.pid);
      if (at !== -1) running.splice(at, 1);
    }
  };

  /** CPU seconds used so far by each part of the pipeline, this process (the load client) included. */
  const cpuSeconds = (webPid: number, consumerPid: number | undefined): Record<string, number> => {
    const own = process.cpuUsage();
    return {
      web: groupCpuSeconds(webPid),
      ...(consumerPid !== undefined && { consumer: groupCpuSeconds(consumerPid) }),
      ...(kafkaProcess && { kafka: groupCpuSeconds(kafkaProcess.pid) }),
      ...(redisProcess && { redis: groupCpuSeconds(redisProcess.pid) }),
      "load client": (own.user + own.system) / 1e6,
    };
  };

  /** The CPU each part spent between two readings, per item, in seconds times `scale` (1e3: ms, 1e6: µs). */
  const cpuPer = (before: Record<string, number>, after: Record<string, number>, items: number, scale: number) =>
    Object.fromEntries(Object.entries(after).map(([name, seconds]) => [name, ((seconds - (before[name] ?? 0)) * scale) / Math.max(1, items)]));

  // A fresh broker runs interpreted until its JIT has seen enough requests; without this, whichever
  // design is measured first pays for it.
  const warmUp = async (target?: Parameters<typeof fresh>[0]) => {
    const topic = (await fresh(target)).id;
    const client = target?.kafka ?? kafka;
    await produceBacklog(client, topic, size.warmUpRecords);
    const single = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await single.connect();
    for (const end = performance.now() + size.warmUpMs; performance.now() < end;) {
      await single.send({ topic, acks: -1, messages: [{ key: "main", value: "warm-up" }] });
    }
    await single.disconnect();
  };
  say("Warming up the broker…");
  await warmUp();

  if (wanted("ingest")) {
    // 1. Ingest: POSTs answered after the broker's ack, by closed-loop clients.
    say("Ingest…");
    const ingest: Record<string, unknown> = {};
    for (const clients of size.concurrency) {
      const measure = async (design: "board" | "naive" | "floor", boardCount = 0) => {
        const board = await fresh();
        const name = `ingest-${design}-${clients}${boardCount ? `-${boardCount}-boards` : ""}`;
        const server = design === "naive" ? await naiveServer(board, name) : design === "floor" ? await floorServer(name) : await web(board.env, name);
        // Boards are made through the log and known once the consumer has stored them; then it goes, so that
        // the web process has the cores to itself as in the other runs.
        const slugs = Array.from({ length: boardCount }, (_, i) => `bench-${i + 1}`);
        if (boardCount > 0) {
          const consumer = await consumerProcess(board.env, `${name}-consumer`);
          for (const slug of slugs) await createBoard(server.url, slug);
          await stop(consumer);
        }
        await closedLoop(server.url, clients, Math.min(500, size.ingestMs), slugs); // warm up: connections, JIT
        const cpuBefore = cpuSeconds(server.pid, undefined);
        const runs = await repeat(size.runs, () => closedLoop(server.url, clients, size.ingestMs, slugs));
        const cpuAfter = cpuSeconds(server.pid, undefined);
        await stop(server);
        return {
          perSecond: figure(runs.map((r) => r.perSecond)),
          // Who spends the CPU for each accepted post: with every core busy, that is what bounds the rate.
          cpuUsPerPost: cpuPer(cpuBefore, cpuAfter, sum(runs.map((r) => r.accepted)), 1e6),
          p50: figure(runs.map((r) => r.p50)),
          p99: figure(runs.map((r) => r.p99)),
          failed: runs.reduce((sum, r) => sum + r.failed, 0),
        };
      };
      const product = await measure("board");
      const baseline = await measure("naive");
      const floor = await measure("floor");
      // The same clients spread over several boards, whose posts reach the producer interleaved.
      const spread = clients === size.concurrency.at(-1) ? await measure("board", size.ingestBoards) : undefined;
      ingest[clients] = { product, baseline, floor, ...(spread && { spread }) };
      row(`ingest, ${clients} client(s)`, product.perSecond, baseline.perSecond, "msg/s");
      row(`  against bare node:http, ${clients}`, product.perSecond, floor.perSecond, "msg/s");
      if (spread) row(`  over ${size.ingestBoards} boards, against one, ${clients}`, spread.perSecond, product.perSecond, "msg/s");
      const cpu = (perPost: Record<string, number>) =>
        `${Object.entries(perPost)
          .map(([name, us]) => `${name} ${Math.round(us)}`)
          .join(", ")}; all ${Math.round(sum(Object.values(perPost)))}`;
      rows.push([`  CPU µs per post, ${clients}`, cpu(product.cpuUsPerPost), `floor: ${cpu(floor.cpuUsPerPost)}`, ""]);
      row(`  POST latency p50, ${clients}`, product.p50, baseline.p50, "ms", true);
      row(`  POST latency p99, ${clients}`, product.p99, baseline.p99, "ms", true);
    }
    results.ingest = ingest;
  }

  if (wanted("end-to-end")) {
    // 2. End to end: POST sent -> event received by a viewer, at fixed offered rates.
    say("End to end…");
    const endToEnd: Record<string, unknown> = {};
    for (const rate of size.rates) {
      const measure = async (naive: boolean) => {
        const board = await fresh();
        let server: ManagedProcess & { url: string };
        let consumer: { stop(): Promise<unknown> };
        let consumerPid: number | undefined; // the naive consumer runs in this process
        if (naive) {
          server = await naiveServer(board, `e2e-naive-${rate}`);
          const naiveConsumer = await startNaiveConsumer(stack.brokers, stack.redisUrl, board.id, {
            list: board.keys.board("main").list,
            channel: board.keys.channel,
          });
          consumer = { stop: async () => (await naiveConsumer.disconnect(), naiveConsumer.redis.disconnect()) };
        } else {
          const child = await consumerProcess(board.env, `e2e-consumer-${rate}`);
          consumer = { stop: () => stop(child) };
          consumerPid = child.pid;
          server = await web(board.env, `e2e-web-${rate}`);
        }
        await offeredLoad(server.url, { rate: Math.min(rate, 100), ms: 500, tag: "warm-up" }); // connections, JIT, first-use loading
        const cpuBefore = cpuSeconds(server.pid, consumerPid);
        const runs = await repeat(size.runs, (run) => offeredLoad(server.url, { rate, ms: size.rateMs, tag: `${run}` }));
        const cpuAfter = cpuSeconds(server.pid, consumerPid);
        await stop(server);
        await consumer.stop();
        const sent = runs.map((r) => r.sent);
        return {
          p50: figure(runs.map((r) => r.p50)),
          p95: figure(runs.map((r) => r.p95)),
          p99: figure(runs.map((r) => r.p99)),
          sent,
          arrived: runs.map((r) => r.arrived),
          // Where the time goes (from the times each message carries) and who spends the CPU.
          stages: stageQuantiles(runs),
          cpuMsPerMessage: cpuPer(cpuBefore, cpuAfter, sum(sent), 1e3),
        };
      };
      const product = await measure(false);
      const baseline = await measure(true);
      endToEnd[rate] = { product, baseline };
      for (const q of ["p50", "p95", "p99"] as const) row(`end to end ${q} at ${rate}/s`, product[q], baseline[q], "ms", true);
      rows.push([`  arrived at ${rate}/s`, `${sum(product.arrived)} of ${sum(product.sent)}`, `${sum(baseline.arrived)} of ${sum(baseline.sent)}`, ""]);
      rows.push([`  stages p50/p99 ms at ${rate}/s`, showStages(product.stages), "", ""]);
      const cpu = Object.entries(product.cpuMsPerMessage).map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
      rows.push([`  CPU ms per message at ${rate}/s`, cpu.join(", "), "", ""]);
    }
    results.endToEnd = endToEnd;
  }

  if (wanted("mixed")) {
    // 3. Mixed: viewers connected while posts flow, beside the floor (no Kafka, no Redis) under the same client.
    say("Mixed load…");
    const mixed: Record<string, unknown> = {};
    for (const { viewers, rate } of size.mixed) {
      const measure = async (floor: boolean) => {
        const board = await fresh();
        const name = `mixed-${floor ? "floor" : "web"}-${viewers}`;
        const consumer = floor ? undefined : await consumerProcess(board.env, `mixed-consumer-${viewers}`);
        const server = floor ? await floorServer(name) : await web(board.env, name);
        // Steady state: the code compiled and the load client's connections open, at the rate to come. A
        // process taking a burst of new connections cold is the onset scenario's.
        await offeredLoad(server.url, { rate, ms: 1000, tag: "warm-up" });
        const runs = await repeat(size.runs, async (run) => {
          const before = groupCpuSeconds(server.pid);
          const load = await offeredLoad(server.url, { rate, ms: size.mixedMs, tag: `${run}`, viewers });
          return { ...load, cpuUsPerEvent: ((groupCpuSeconds(server.pid) - before) * 1e6) / Math.max(1, load.delivered) };
        });
        await stop(server, ...(consumer ? [consumer] : []));
        return {
          acceptedPerSecond: figure(runs.map((r) => r.acceptedPerSecond)),
          p50: figure(runs.map((r) => r.p50)),
          p99: figure(runs.map((r) => r.p99)),
          cpuUsPerEvent: figure(runs.map((r) => r.cpuUsPerEvent)),
          delivered: sum(runs.map((r) => r.delivered)),
          expected: sum(runs.map((r) => r.expected)),
          stages: stageQuantiles(runs),
        };
      };
      const product = await measure(false);
      const floor = await measure(true);
      mixed[`${viewers}x${rate}`] = { viewers, offered: rate, product, floor };
      const label = `${viewers.toLocaleString("en")} viewers, ${rate}/s offered`;
      row(`mixed ${label}: accepted`, product.acceptedPerSecond, floor.acceptedPerSecond, "msg/s");
      row(`  end to end p50`, product.p50, floor.p50, "ms", true);
      row(`  end to end p99`, product.p99, floor.p99, "ms", true);
      row(`  web CPU per delivered event`, product.cpuUsPerEvent, floor.cpuUsPerEvent, "µs", true);
      rows.push([`  events delivered`, `${product.delivered} of ${product.expected}`, `${floor.delivered} of ${floor.expected}`, ""]);
      rows.push([`  stages p50/p99 ms`, showStages(product.stages), "", ""]);
    }
    results.mixed = mixed;
  }

  if (wanted("onset")) {
    // 3b. Load onset: a web process that has carried no load gets the full rate at once from new connections,
    // as a user tries it; then the same again on the connections it kept, and again on new ones. The third
    // tells whether what the first pays for is code not yet compiled or connections not yet accepted. Beside
    // it, the web process with one handle on its listening socket (Node's own way), and both again with one
    // core taken by another process, as on a machine busy with something else, where turns of the event
    // loop last longer and connections wait longer to be accepted.
    say("Load onset…");
    const { rate, ms } = size.onset;
    const legs = ["first", "again", "new connections"] as const;
    // Every handle is woken by each new connection, and all but one find nothing to accept: what that costs
    // shows where each request comes on a connection of its own.
    const churn = size.onset.rate;
    const measure = (oneHandle: boolean, busy: boolean) =>
      repeat(size.runs, async (run) => {
        const name = `onset-${oneHandle ? "one-handle" : "board"}${busy ? "-busy" : ""}-${run}`;
        const board = await fresh();
        const consumer = await consumerProcess(board.env, `${name}-consumer`);
        const server = await web({ ...board.env, ...(oneHandle && { ACCEPT_HANDLES: "1" }) }, `${name}-web`);
        const spinning = busy ? track(startProcess(`${name}-busy-core`, process.execPath, ["-e", "for (;;);"], { output: logTo(`${name}-busy`) })) : undefined;
        const loads: OfferedLoad[] = [];
        for (const leg of legs) {
          if (leg !== "again") dropConnections(server.url);
          loads.push(await offeredLoad(server.url, { rate, ms, tag: `${leg}-${run}`, viewers: 10 }));
        }
        let cpuUsPerNewConnection = NaN;
        if (!busy) {
          const cpuBefore = groupCpuSeconds(server.pid);
          await oneConnectionEach(server.url, "/api/health", churn);
          cpuUsPerNewConnection = ((groupCpuSeconds(server.pid) - cpuBefore) * 1e6) / churn;
        }
        await stop(server, consumer, ...(spinning ? [spinning] : []));
        return { loads, cpuUsPerNewConnection };
      });
    const summarize = (runs: { loads: OfferedLoad[] }[]) =>
      legs.map((leg, i) => {
        const loads = runs.map((r) => r.loads[i]!);
        const acceptP99 = figure(loads.map((load) => quantile(load.stages.accept, 0.99)));
        return { leg, p99: figure(loads.map((load) => load.p99)), acceptP99, stages: stageQuantiles(loads) };
      });
    const onset: Record<string, unknown> = { rate, ms };
    results.onset = onset;
    for (const busy of [false, true]) {
      const productRuns = await measure(false, busy);
      const baselineRuns = await measure(true, busy);
      const product = summarize(productRuns);
      const baseline = summarize(baselineRuns);
      const state = busy ? "one core busy" : "quiet";
      onset[state] = { product, baseline };
      product.forEach(({ leg, p99, acceptP99, stages }, i) => {
        row(`onset at ${rate}/s, ${state}, ${leg}: p99 (one handle)`, p99, baseline[i]!.p99, "ms", true);
        row(`  accept p99`, acceptP99, baseline[i]!.acceptP99, "ms", true);
        rows.push([`  stages p50/p99 ms`, showStages(stages), "", ""]);
      });
      if (!busy) {
        const perConnection = (runs: typeof productRuns) => figure(runs.map((r) => r.cpuUsPerNewConnection));
        onset.cpuUsPerNewConnection = { product: perConnection(productRuns), baseline: perConnection(baselineRuns) };
        row(`  web CPU per request, each on a new connection (one handle)`, perConnection(productRuns), perConnection(baselineRuns), "µs", true);
      }
    }
  }

  if (wanted("page")) {
    // 4. The page in Chromium while messages pour in and someone types (scripts/bench/page-flood.ts).
    say("The page under a flood…");
    const board = await fresh();
    const consumer = await consumerProcess(board.env, "page-consumer");
    const server = await web(board.env, "page-web");
    const producer = kafka.producer();
    await producer.connect();
    const browser = await launchBrowser();
    const floods: Record<string, PageFlood> = {};
    try {
      for (const rate of size.page.rates) {
        // Putting a process back in front takes root.
        for (const leg of PAGE_LEGS.filter(({ background }) => !background || canRestorePriority())) {
          const context = await browser.newContext();
          const tab = await context.newPage();
          await boardPage(tab).open(server.url);
          const name = `page-${rate}${leg.file}`;
          // The page's own JavaScript profile, from the browser's DevTools protocol: native work (style,
          // layout, paint) shows as "(program)".
          const devtools = options.profile ? await context.newCDPSession(tab) : undefined;
          await devtools?.send("Profiler.enable");
          await devtools?.send("Profiler.start");
          // And a trace, which splits the long tasks by kind of work and tells CPU time from waiting for a core.
          if (options.profile) await browser.startTracing(tab, { categories: TRACE_CATEGORIES });
          const flood = await floodPage(tab, {
            rate,
            seconds: size.page.seconds,
            produce: (messages) => producer.send({ topic: board.id, acks: -1, messages }),
            background: leg.background ? [...reusedGroups, ...running.map((child) => child.pid)] : undefined,
          });
          if (devtools) {
            const { profile } = await devtools.send("Profiler.stop");
            mkdirSync(path.join(profiles, "page"), { recursive: true });
            writeFileSync(path.join(profiles, "page", `${name}.cpuprofile`), JSON.stringify(profile));
            writeFileSync(path.join(profiles, "page", `${name}.trace.json`), await browser.stopTracing());
          }
          await context.close();
          floods[`${rate}${leg.file}`] = flood;
          rows.push([
            `page under ${rate} msg/s for ${size.page.seconds} s${leg.label}`,
            `${flood.longTasks.length} long tasks, ${round(flood.busyMs)} ms; longest ${round(flood.longestMs)} ms; slowest key ${round(flood.slowestKeyMs)} ms`,
            "",
            "",
          ]);
        }
      }
    } finally {
      await browser.close();
      await producer.disconnect();
      await stop(server, consumer);
    }
    results.page = floods;
  }

  if (wanted("fan-out")) {
    // 3. Fan-out: many plain-HTTP viewers on one web process; how long a broadcast takes to reach them all.
    say("Fan-out…");
    const fanOut: Record<string, unknown> = {};
    for (const viewers of size.viewers) {
      const measure = async (naive: boolean, count: number) => {
        const board = await fresh();
        const consumer = await consumerProcess(board.env, `fanout-consumer-${count}-${naive}`);
        const server = naive ? await naiveServer(board, `fanout-naive-${count}`) : await web(board.env, `fanout-web-${count}`);
        // Warm up (first-use loading, JIT) with a few viewers and a broadcast, so that memory counts viewers only.
        const warm = await Promise.all(Array.from({ length: 20 }, () => openViewer(server.url, () => {})));
        await post(server.url, `{"text":"warm-up"}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const viewer of warm) viewer.destroy();
        await new Promise((resolve) => setTimeout(resolve, 500));
        const before = groupRss(server.pid);
        const arrivals = new Map<string, number[]>();
        const open = [];
        for (let i = 0; i < count; i += 200) {
          open.push(
            ...(await Promise.all(
              Array.from({ length: Math.min(200, count - i) }, () =>
                openViewer(server.url, (chunk) => {
                  const marker = /fanout-(\d+)/.exec(chunk)?.[1];
                  if (marker) arrivals.get(marker)?.push(performance.now());
                }),
              ),
            )),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500)); // let every stream finish its catch-up
        const perViewer = (groupRss(server.pid) - before) / count;
        const redisClients = String(await redis.client("LIST"))
          .split("\n")
          .filter((line) => /name=(message-board-web|naive-viewer)/.test(line)).length;
        const p50s: number[] = [];
        const p99s: number[] = [];
        for (let b = 0; b < size.broadcasts; b++) {
          arrivals.set(String(b), []);
          const sent = performance.now();
          await post(server.url, `{"text":"fanout-${b}"}`);
          await waitFor(`broadcast ${b} to reach ${count}`, () => (arrivals.get(String(b))?.length ?? 0) >= count, { timeoutMs: 60_000, intervalMs: 20 });
          const times = arrivals.get(String(b))!.map((at) => at - sent);
          p50s.push(quantile(times, 0.5));
          p99s.push(quantile(times, 0.99));
        }
        for (const viewer of open) viewer.destroy();
        // The same broadcasts, read by the viewers' own process over bare sockets: what the server does,
        // less the cost of reading thousands of streams in the process that times them.
        const broadcasts = { rate: 2, ms: size.broadcasts * 500, tag: "fanout", viewers: count, timed: count };
        const apart = naive ? undefined : await offeredLoad(server.url, broadcasts);
        await stop(server, consumer);
        // And to the floor, at the most viewers: what writing to that many streams costs on this machine
        // with nothing else to do.
        let floor: OfferedLoad | undefined;
        if (!naive && count === size.viewers.at(-1)) {
          const bare = await floorServer(`fanout-floor-${count}`);
          floor = await offeredLoad(bare.url, broadcasts);
          await stop(bare);
        }
        return {
          viewers: count,
          p50: figure(p50s),
          p99: figure(p99s),
          ...(apart && { apart: { p50: apart.p50, p99: apart.p99, arrived: apart.arrived } }),
          ...(floor && { floor: { p50: floor.p50, p99: floor.p99, arrived: floor.arrived } }),
          bytesPerViewer: perViewer,
          redisConnections: redisClients,
        };
      };
      const product = await measure(false, viewers);
      const baseline = viewers === size.baselineViewers ? await measure(true, viewers) : undefined;
      fanOut[viewers] = { product, baseline };
      row(`fan-out p50 to ${viewers.toLocaleString("en")} viewers`, product.p50, baseline?.p50, "ms", true);
      row(`fan-out p99 to ${viewers.toLocaleString("en")} viewers`, product.p99, baseline?.p99, "ms", true);
      const { apart, floor } = product;
      if (apart) {
        const times = (f: { p50: number; p99: number }) => `${round(f.p50)} / ${round(f.p99)} ms`;
        const label = `  p50 / p99, viewers in a process of their own${floor ? "; beside: the floor" : ""}`;
        rows.push([label, times(apart), floor ? times(floor) : "", floor ? `${(floor.p99 / apart.p99).toFixed(1)}×` : ""]);
      }
      rows.push([
        `  memory per viewer, Redis connections`,
        `${round(product.bytesPerViewer / 1024)} KB, ${product.redisConnections}`,
        baseline ? `${round(baseline.bytesPerViewer / 1024)} KB, ${baseline.redisConnections}` : "–",
        "",
      ]);
    }
    results.fanOut = fanOut;
  }

  if (wanted("history")) {
    // 6. Lasting history: the history consumer (and so a rebuild) over a large log, then search and older
    // pages on what it wrote, beside one INSERT per record, LIKE and OFFSET.
    const figures = await benchHistory({
      kafka,
      brokers: stack.brokers,
      databaseUrl: stack.databaseUrl,
      size: size.history,
      log: quiet,
      say,
      id: `bench-${process.pid}`,
    });
    const messages = figures.messages.toLocaleString("en");
    row(`history consumer, ${messages} records`, figure([figures.writePerSecond]), figure([figures.naiveWritePerSecond]), "records/s");
    row(`rebuild ${messages} messages into PostgreSQL`, figure([figures.writeSeconds]), undefined, "s");
    row(`search p95, ${messages} messages over ${figures.boards} boards`, figure([figures.search.p95]), figure([figures.naiveSearch.p95]), "ms", true);
    row(`older page p95, 50 messages`, figure([figures.olderPage.p95]), figure([figures.naiveOlderPage.p95]), "ms", true);
    results.history = figures;
  }

  if (wanted("replication")) {
    // 5. The same ingest and end to end on three nodes with three copies of each partition (a write
    // waits for two), beside the one broker with one copy, in this run.
    // The tests hand in the cluster they started already, as they hand in the one broker.
    const given = process.env.TEST_CLUSTER_BROKERS?.split(",");
    say(given ? "Replication: on the three Kafka nodes given…" : "Replication: starting three Kafka nodes…");
    const cluster = given ? undefined : await startOwnKafka(path.join(work, "cluster"), 3);
    running.push(...(cluster?.processes ?? []));
    const brokers = given ?? cluster?.brokers ?? [];
    const three = { brokers, kafka: createKafka(brokers, "bench", quiet), copies: 3 };
    await warmUp(three);
    const one = { brokers: stack.brokers, kafka, copies: 1 };
    const replication: Record<string, unknown> = {};
    for (const clients of [1, size.concurrency.at(-1) ?? 1]) {
      const measure = async (target: typeof one) => {
        const board = await fresh(target);
        const server = await web(board.env, `replication-ingest-${target.copies}-${clients}`);
        await closedLoop(server.url, clients, Math.min(500, size.ingestMs));
        const runs = await repeat(size.runs, () => closedLoop(server.url, clients, size.ingestMs));
        await stop(server);
        return { perSecond: figure(runs.map((r) => r.perSecond)), p99: figure(runs.map((r) => r.p99)) };
      };
      const [withThree, withOne] = [await measure(three), await measure(one)];
      replication[`ingest-${clients}`] = { threeCopies: withThree, oneCopy: withOne };
      row(`ingest, ${clients} client(s), 3 copies vs 1`, withThree.perSecond, withOne.perSecond, "msg/s");
      row(`  POST latency p99, ${clients}, 3 copies vs 1`, withThree.p99, withOne.p99, "ms", true);
    }
    const rate = size.rates.at(-1) ?? 100;
    const endToEnd = async (target: typeof one) => {
      const board = await fresh(target);
      const consumer = await consumerProcess(board.env, `replication-consumer-${target.copies}`);
      const server = await web(board.env, `replication-web-${target.copies}`);
      await offeredLoad(server.url, { rate: Math.min(rate, 100), ms: 500, tag: "warm-up" });
      const runs = await repeat(size.runs, (run) => offeredLoad(server.url, { rate, ms: size.rateMs, tag: `${run}` }));
      await stop(server, consumer);
      return {
        p50: figure(runs.map((r) => r.p50)),
        p99: figure(runs.map((r) => r.p99)),
        arrived: sum(runs.map((r) => r.arrived)),
        sent: sum(runs.map((r) => r.sent)),
      };
    };
    const [e2eThree, e2eOne] = [await endToEnd(three), await endToEnd(one)];
    replication[`end-to-end-${rate}`] = { threeCopies: e2eThree, oneCopy: e2eOne };
    row(`end to end p50 at ${rate}/s, 3 copies vs 1`, e2eThree.p50, e2eOne.p50, "ms", true);
    row(`end to end p99 at ${rate}/s, 3 copies vs 1`, e2eThree.p99, e2eOne.p99, "ms", true);
    rows.push([`  arrived at ${rate}/s`, `${e2eThree.arrived} of ${e2eThree.sent}`, `${e2eOne.arrived} of ${e2eOne.sent}`, ""]);
    await cluster?.stop();
    results.replication = replication;
  }

  if (wanted("consumer")) {
    // 4. Consumer: a backlog waiting in Kafka, drained into Redis.
    say("Consumer…");
    const drain = async (naive: boolean, backlog: number) => {
      const board = await fresh();
      await produceBacklog(kafka, board.id, backlog);
      const started = performance.now();
      if (naive) {
        const consumer = await startNaiveConsumer(stack.brokers, stack.redisUrl, board.id, {
          list: board.keys.board("main").list,
          channel: board.keys.channel,
        });
        await waitFor("the naive consumer to drain", async () => Number(await redis.get(`${board.keys.board("main").list}:count`)) >= backlog, {
          timeoutMs: 600_000,
          intervalMs: 50,
        });
        const elapsed = performance.now() - started;
        await consumer.disconnect();
        consumer.redis.disconnect();
        return (backlog / elapsed) * 1000;
      }
      const store = createRedis(stack.redisUrl, "bench-consumer");
      // A store that exists but has read nothing yet, as when its consumer was down while the backlog
      // grew: an empty one would be refilled with the newest records only.
      const limits = { history: 100, dedupeWindow: 10_000 };
      const identify = (topic: string) => readLogIdentity(stack.brokers, topic);
      const log = logKey(await identify(board.id));
      await seedStore(store, board.keys, limits, board.id, [], { log, nextOffsets: new Map([0, 1, 2].map((partition) => [partition, "0"])) });
      const consumer = await startBoardConsumer({
        kafka,
        identify,
        redis: store,
        keys: board.keys,
        topic: board.id,
        boardsTopic: `${board.id}.boards`,
        deadLetterTopic: `${board.id}.dlq`,
        groupId: `${board.id}-store`,
        limits,
        log: quiet,
      });
      await waitFor("the consumer to drain", async () => Number(await redis.get(board.keys.board("main").seq)) >= backlog, {
        timeoutMs: 600_000,
        intervalMs: 50,
      });
      const elapsed = performance.now() - started;
      await consumer.stop();
      store.disconnect();
      return (backlog / elapsed) * 1000;
    };
    const consumerProduct = figure(await repeat(size.runs, () => drain(false, size.backlog)));
    const consumerBaseline = figure(await repeat(size.runs, () => drain(true, size.baselineBacklog)));
    results.consumer = { backlog: size.backlog, baselineBacklog: size.baselineBacklog, product: consumerProduct, baseline: consumerBaseline };
    row(
      `consumer, backlog ${size.backlog.toLocaleString("en")} (naive: ${size.baselineBacklog.toLocaleString("en")})`,
      consumerProduct,
      consumerBaseline,
      "rec/s",
    );
  }

  redis.disconnect();
  if (options.profile) {
    for (const name of readdirSync(profiles)) {
      const dir = path.join(profiles, name);
      for (const line of [...summarizeProfiles(dir), ...summarizeTraces(dir)]) say(`${name}: ${line}`);
    }
    say(`CPU profiles in ${path.relative(PROJECT_ROOT, profiles)} (open them in Chrome's DevTools, Performance)`);
  }
  printTable();
  const out = options.out ?? path.join(PROJECT_ROOT, ".local", "bench", `bench-${options.size}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), size: options.size, settings: size, results }, null, 2)}\n`);
  say(`Figures written to ${path.relative(PROJECT_ROOT, out)}`);
  rmSync(work, { recursive: true, force: true });
}

async function produceBacklog(kafka: ReturnType<typeof createKafka>, topic: string, count: number) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < count; i += 1000) {
    const messages = Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({
      key: "main",
      value: JSON.stringify(createMessage({ text: `backlog ${i + j}` }, "main")),
    }));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

/** Where the time went, per stage, over all runs' messages. */
function stageQuantiles(runs: { stages: Record<Stage, number[]> }[]): Record<Stage, { p50: number; p99: number }> {
  const of = (stage: Stage) => runs.flatMap((r) => r.stages[stage]);
  return Object.fromEntries(STAGES.map((stage) => [stage, { p50: quantile(of(stage), 0.5), p99: quantile(of(stage), 0.99) }])) as Record<
    Stage,
    { p50: number; p99: number }
  >;
}

const showStages = (stages: Record<Stage, { p50: number; p99: number }>) =>
  Object.entries(stages)
    .map(([stage, { p50, p99 }]) => `${stage} ${round(p50)}/${round(p99)}`)
    .join(", ");

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function printTable() {
  const head: [string, string, string, string] = ["scenario", "this board (median, min–max)", "naive baseline", "ratio"];
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ");
  console.log(`\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.map(line).join("\n")}\n`);
}

function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()}`,
    node: process.version,
    versions: Object.fromEntries(["next", "react", "kafkajs", "ioredis"].map((name) => [name, packageVersion(name)])),
    kafka: "4.2.2",
  };
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

runScript("bench", running, () => main().then(() => 0));
