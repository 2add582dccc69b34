import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { createKafka } from "../../src/lib/kafka/client";
import { ensureBoardTopics } from "../../src/lib/kafka/topics";
import { createMessage } from "../../src/lib/messages/create";
import { storeKeys } from "../../src/lib/store/keys";
import { groupCpuSeconds } from "./measure";
import { startConsumerApp, startProcessorApp, startWebApp } from "../stack/app-processes";
import { startOwnStack } from "../stack/own-stack";
import { CHROMIUM } from "../stack/prerequisites";
import { PROJECT_ROOT } from "../stack/paths";
import { runToEnd, startProcess, typescript, type ManagedProcess } from "../stack/processes";
import type { Logger } from "../../src/lib/log";
import type { BenchSize } from "./sizes";
import { freePort, waitFor } from "../stack/wait";

/** What every scenario is given: the stack, fresh boards, the processes to measure and how to stop them. */
export type BenchSetup = {
  size: BenchSize;
  options: { "no-build"?: boolean; profile?: boolean };
  say: (line: string) => void;
  quiet: Logger;
  running: ManagedProcess[];
  bin: (name: string) => string;
  /** Chromium is made sure of for the page scenario. */
  needsBrowser: boolean;
};

export async function createBenchContext(setup: BenchSetup) {
  const { size, options, say, quiet, running, bin, needsBrowser } = setup;
  const work = mkdtempSync(path.join(os.tmpdir(), "message-board-bench-"));
  const reuse = process.env.TEST_KAFKA_BROKERS && process.env.TEST_REDIS_URL && process.env.TEST_DATABASE_URL;
  const stack = reuse
    ? { brokers: process.env.TEST_KAFKA_BROKERS!.split(","), redisUrl: process.env.TEST_REDIS_URL!, databaseUrl: process.env.TEST_DATABASE_URL! }
    : await startOwnStack(work, say, needsBrowser ? [CHROMIUM] : []).then((own) => (running.push(...own.processes), own));
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
      KAFKA_REACTIONS_TOPIC: `${id}.reactions`,
      KAFKA_REACTIONS_DLQ_TOPIC: `${id}.reactions.dlq`,
      KAFKA_REACTION_COUNTS_TOPIC: `${id}.reaction-counts`,
      KAFKA_ACTIVITY_TOPIC: `${id}.activity`,
      PROCESSOR_GROUP: `${id}-processor`,
      RESULTS_CONSUMER_GROUP: `${id}-results`,
      HISTORY_RESULTS_GROUP: `${id}-history-results`,
      REACTIONS_PER_MINUTE: "1000000",
      REACTION_BURST: "1000000",
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
  const processorProcess = (env: Record<string, string>, name: string) => startProcessorApp(name, env, { output: logTo(name), onStart: track });
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
  return {
    ...setup,
    work,
    reuse,
    stack,
    redisProcess,
    kafkaProcess,
    reusedGroups,
    kafka,
    redis,
    fresh,
    logTo,
    track,
    profiles,
    profiled,
    web,
    naiveServer,
    floorServer,
    consumerProcess,
    processorProcess,
    stop,
    cpuSeconds,
    cpuPer,
    warmUp,
    produceBacklog,
  };
}

/** `count` messages of the main board, sent ahead: a backlog for a consumer, or a broker's warm-up. */
export async function produceBacklog(kafka: ReturnType<typeof createKafka>, topic: string, count: number) {
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

export type BenchContext = Awaited<ReturnType<typeof createBenchContext>>;
