// What the tests share: the Kafka broker and Redis that `npm test` started, names of their own for each
// test, and helpers that start the real consumer and web processes against them.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { KafkaMessage } from "kafkajs";
import { Redis } from "ioredis";
import { createKafka } from "../../src/lib/kafka/client";
import { silentLog } from "./silent-log";
import { messageSchema } from "../../src/lib/messages/schema";
import { storeKeys, type StoreKeys } from "../../src/lib/store/keys";
import { startConsumerApp, startProcessorApp, startWebApp, type WebMode } from "../../scripts/stack/app-processes";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { runToEnd, startProcess } from "../../scripts/stack/processes";
import { onFreePorts, waitFor } from "../../scripts/stack/wait";

export { waitFor, onFreePorts };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through \`npm test\`, which starts Kafka and Redis for it.`);
  return value;
}

export const stack = {
  get brokers() {
    return required("TEST_KAFKA_BROKERS").split(",");
  },
  get redisUrl() {
    return required("TEST_REDIS_URL");
  },
  get workDir() {
    return required("TEST_WORK_DIR");
  },
  get databaseUrl() {
    return required("TEST_DATABASE_URL");
  },
  /** Kafka's, Redis's and PostgreSQL's process groups. */
  get processGroups() {
    return required("TEST_STACK_PROCESS_GROUPS").split(",").map(Number);
  },
};

export type Names = {
  topic: string;
  reactionsTopic: string;
  countsTopic: string;
  activityTopic: string;
  processorGroup: string;
  deadLetterTopic: string;
  boardsTopic: string;
  group: string;
  historyGroup: string;
  list: string;
  channel: string;
  keys: StoreKeys;
};

/** A topic, group, list and channel no other test uses. */
export function uniqueNames(label: string): Names {
  const id = `${label}-${randomBytes(4).toString("hex")}`;
  const list = `messages-${id}`;
  const channel = `new-messages-${id}`;
  return {
    topic: `board-${id}`,
    reactionsTopic: `board-${id}.reactions`,
    countsTopic: `board-${id}.reaction-counts`,
    activityTopic: `board-${id}.activity`,
    processorGroup: `processor-${id}`,
    deadLetterTopic: `board-${id}.dlq`,
    boardsTopic: `board-${id}.boards`,
    group: `store-${id}`,
    historyGroup: `history-${id}`,
    list,
    channel,
    keys: storeKeys({ REDIS_MESSAGES_KEY: list, REDIS_CHANNEL: channel, BOARD_ID: "main" }),
  };
}

/** Signs the test apps' session cookies; a cookie signed with another key is a forged one. */
export const TEST_AUTH_SECRET = "test-secret-of-the-board-0123456789abcdef";

/** The environment of an app process that uses `names` on the test stack. */
export function appEnv(names: Names, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.brokers.join(","),
    KAFKA_TOPIC: names.topic,
    KAFKA_DLQ_TOPIC: names.deadLetterTopic,
    KAFKA_BOARDS_TOPIC: names.boardsTopic,
    KAFKA_CONSUMER_GROUP: names.group,
    HISTORY_CONSUMER_GROUP: names.historyGroup,
    KAFKA_REACTIONS_TOPIC: names.reactionsTopic,
    KAFKA_REACTIONS_DLQ_TOPIC: `${names.reactionsTopic}.dlq`,
    KAFKA_REACTION_COUNTS_TOPIC: names.countsTopic,
    KAFKA_ACTIVITY_TOPIC: names.activityTopic,
    PROCESSOR_GROUP: names.processorGroup,
    RESULTS_CONSUMER_GROUP: `results-${names.group}`,
    HISTORY_RESULTS_GROUP: `history-results-${names.group}`,
    REDIS_URL: stack.redisUrl,
    REDIS_MESSAGES_KEY: names.list,
    REDIS_CHANNEL: names.channel,
    NEXT_TELEMETRY_DISABLED: "1",
    // Every test client posts from 127.0.0.1; the limits have tests of their own.
    POSTS_PER_MINUTE: "1000000",
    POST_BURST: "1000000",
    REACTIONS_PER_MINUTE: "1000000",
    REACTION_BURST: "1000000",
    AUTH_SECRET: TEST_AUTH_SECRET,
    SIGN_INS_PER_MINUTE: "1000000",
    MODERATION_PER_MINUTE: "1000000",
    ...overrides,
  };
}

export const testKafka = (clientId = "tests") => createKafka(stack.brokers, clientId, silentLog);

export function testRedis(url = stack.redisUrl): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  return redis;
}

const logFile = (name: string) => path.join(stack.workDir, `${name}.log`);

/** `npm run kafka:consumer`'s script, as its own process, logging to the test run's directory. */
export const startConsumerProcess = (env: Record<string, string>, name = "consumer") => startConsumerApp(name, env, { output: { file: logFile(name) } });

/** `npm run kafka:processor`'s script, as its own process, logging to the test run's directory. */
export const startProcessorProcess = (env: Record<string, string>, name = "processor") => startProcessorApp(name, env, { output: { file: logFile(name) } });

/** The web app as `npm start` (or `npm run dev`) starts it, on a port of its own, logging to the test run's directory. */
export const startWebProcess = (env: Record<string, string>, name = "web", mode: WebMode = "production") =>
  startWebApp(name, env, { output: { file: logFile(name) }, mode });

/** A broker address where nothing listens: port 1 is privileged and unused, so connections are refused at once. */
export const UNREACHABLE_BROKER = "127.0.0.1:1";

/** What a process has logged so far, from its log file. */
export const logOf = (name: string) => readFileSync(logFile(name), "utf8");

/** A process's last warnings and errors, from its log file: what a failure message should show. */
export const troubleIn = (name: string, count = 20) =>
  logOf(name)
    .split("\n")
    .filter((line) => /"level":(40|50)\b/.test(line))
    .slice(-count)
    .join("\n");

/** The first `count` records of a topic, read by a consumer group of its own. */
export async function readTopic(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = testKafka().consumer({ groupId: `reader-${randomBytes(4).toString("hex")}` });
  const records: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
    await waitFor(`${count} records on ${topic}`, () => records.length >= count, { timeoutMs: 30_000 });
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** POST /api/messages as a script would; resolves to the status and the body. */
export async function postMessage(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Posts as the page does when a post is refused for now: the same id again, until it is accepted. Only a
 * 503 is tried again, for at most `timeoutMs`; any other answer fails, and so does the time running out,
 * each saying what came last. `onAnswer` hears each answer. Resolves to the id.
 */
export async function postUntilAccepted(
  url: string,
  body: { text: string; id?: string; board?: string },
  { timeoutMs = 60_000, onAnswer }: { timeoutMs?: number; onAnswer?: (accepted: boolean) => void } = {},
): Promise<string> {
  const id = body.id ?? randomUUID();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body: answer } = await postMessage(url, { ...body, id });
    onAnswer?.(status === 201);
    if (status === 201) return id;
    if (status !== 503) throw new Error(`only a 503 may refuse a post here, not ${status}: ${JSON.stringify(answer)}`);
    if (Date.now() > deadline) throw new Error(`still refused after ${timeoutMs / 1000} s: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the page's Retry, pressed at once
  }
}

/** Posts a message that must be accepted; resolves to its id. */
export async function postAccepted(url: string, text: string, board?: string): Promise<string> {
  const { status, body } = await postMessage(url, { text, ...(board && { board }) });
  if (status !== 201) throw new Error(`POST answered ${status}: ${JSON.stringify(body)}`);
  return messageSchema.parse(body).id;
}

/**
 * `npm run rebuild -- <view>` against the apps whose environment is `env`, started now; `done` waits for it
 * to succeed and resolves to the seconds it reported.
 */
export function startRebuild(cleanup: Cleanup, view: "redis" | "postgres" | "reactions", env: Record<string, string>) {
  const rebuild = cleanup.add(
    startProcess(`rebuild-${view}`, "npm", ["run", "rebuild", "--", view], { cwd: PROJECT_ROOT, env, output: { file: logFile(`rebuild-${view}`) } }),
    (started) => started.stop(),
  );
  return {
    async done(): Promise<string> {
      await runToEnd(rebuild);
      const done = /done in ([\d.]+) s/.exec(rebuild.recentOutput());
      if (!done?.[1]) throw new Error(`the rebuild did not say it was done:\n${rebuild.recentOutput()}`);
      return done[1];
    },
  };
}

/** A consumer and `webs` web processes with a topic and keys of their own, stopped by `cleanup`. */
export async function startApps(
  cleanup: Cleanup,
  label: string,
  overrides: Record<string, string> = {},
  webs = 1,
  consumerOverrides: Record<string, string> = {},
) {
  const names = uniqueNames(label);
  const env = appEnv(names, overrides);
  const consumer = cleanup.add(await startConsumerProcess({ ...env, ...consumerOverrides }, `${label}-consumer`), (process) => process.stop());
  const web = [];
  for (let i = 1; i <= webs; i++) web.push(cleanup.add(await startWebProcess(env, `${label}-web-${i}`), (process) => process.stop()));
  return { names, env, consumer, web };
}

export type Cleanup = ReturnType<typeof cleanupList>;

/**
 * Things a test started, stopped in reverse order even when the test fails, and every one of them even
 * when stopping another fails; the first failure is thrown once all have run.
 */
export function cleanupList() {
  const steps: (() => unknown)[] = [];
  return {
    add<T>(thing: T, stop: (thing: T) => unknown): T {
      steps.push(() => stop(thing));
      return thing;
    },
    async run() {
      const failures: unknown[] = [];
      for (const step of steps.splice(0).reverse())
        await Promise.resolve()
          .then(step)
          .catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw failures[0];
    },
  };
}
