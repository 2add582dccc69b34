// `npm run rebuild -- redis|postgres|reactions`: rebuilds a view of the Kafka log while the board stays
// online. The view is cleared at once (Redis: the store's keys; PostgreSQL: one transaction; reactions: the
// processor's results in Redis); the running consumers notice, read the log (or the result topics) again
// from where the view now starts, and this shows their progress.
import nextEnv from "@next/env";
import type { Admin } from "kafkajs";
import { configOrExit, type Config } from "../src/lib/config";
import { createKafka } from "../src/lib/kafka/client";
import { createDatabase } from "../src/lib/history/database";
import { clearHistory, historyOffsets } from "../src/lib/history/message-history";
import { migrate } from "../src/lib/history/migrations";
import { createLogger, type Logger } from "../src/lib/log";
import { readBoards } from "../src/lib/store/board-list";
import { storeDataKeys } from "../src/lib/store/followed-log";
import { storeKeys } from "../src/lib/store/keys";
import { readEpoch, storedUpTo } from "../src/lib/store/message-store";
import { clearResults, resultsAppliedUpTo } from "../src/lib/store/reactions";
import { createRedis } from "../src/lib/store/redis";

const STALLED_MS = 60_000;
const say = (line: string) => console.log(`[rebuild] ${line}`);

type View = {
  /** The consumer group that writes the view; it must be running. */
  group: string;
  /** The topic it is written from, when not the board's. */
  topic?: string;
  clear(): Promise<void>;
  /** How far the view has got in each partition (the next offset it needs), once it is back. */
  reached(): Promise<Map<number, string> | undefined>;
  summary(): Promise<string>;
  close(): Promise<void>;
};

const VIEWS: Record<string, (config: Config, log: Logger) => View> = {
  redis: (config) => {
    const redis = createRedis(config.REDIS_URL, "message-board-rebuild");
    const keys = storeKeys(config);
    const boardSlugs = async () => [config.BOARD_ID, ...(await readBoards(redis, keys)).map((board) => board.slug)];
    return {
      group: config.KAFKA_CONSUMER_GROUP,
      // The consumers refill an empty store (from history, or the log) and read on from where it reaches.
      // The list of boards stays: it is read from a topic of its own, and the boards stay reachable meanwhile.
      clear: async () => {
        await redis.del(...storeDataKeys(keys, await boardSlugs()));
      },
      reached: async () => ((await readEpoch(redis, keys)) === null ? undefined : storedUpTo(redis, keys, config.KAFKA_TOPIC)),
      summary: async () => {
        const slugs = await boardSlugs();
        const lengths = await Promise.all(slugs.map((slug) => redis.llen(keys.board(slug).list)));
        return `${lengths.reduce((sum, length) => sum + length, 0)} message(s) in the lists of ${slugs.length} board(s)`;
      },
      close: async () => void (await redis.quit()),
    };
  },
  // The processor's results as the live page reads them; the result topics hold the latest of each key.
  reactions: (config) => {
    const redis = createRedis(config.REDIS_URL, "message-board-rebuild");
    const keys = storeKeys(config);
    return {
      group: config.RESULTS_CONSUMER_GROUP,
      topic: config.KAFKA_REACTION_COUNTS_TOPIC,
      clear: () => clearResults(redis, keys),
      reached: () => resultsAppliedUpTo(redis, keys, config.KAFKA_REACTION_COUNTS_TOPIC),
      summary: async () => `reactions of ${await redis.hlen(keys.reactions)} message(s), activity of ${await redis.hlen(keys.windows)} board(s)`,
      close: async () => void (await redis.quit()),
    };
  },
  postgres: (config, log) => {
    if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not set: there is no history to rebuild.");
    const database = createDatabase(config.DATABASE_URL, "message-board-rebuild", log);
    return {
      group: config.HISTORY_CONSUMER_GROUP,
      // The history consumers hear of it (NOTIFY) and go back to the start of the log.
      clear: async () => {
        await migrate(database);
        await clearHistory(database);
      },
      reached: () => historyOffsets(database, config.KAFKA_TOPIC),
      summary: async () => `${(await database.query<{ count: string }>("SELECT count(*) FROM messages")).rows[0]?.count ?? 0} message(s) in history`,
      close: () => database.end(),
    };
  },
};

async function main(): Promise<number> {
  const target = process.argv[2] ?? "";
  const makeView = VIEWS[target];
  if (!makeView) {
    console.error(`Usage: npm run rebuild -- ${Object.keys(VIEWS).join("|")}`);
    return 2;
  }
  nextEnv.loadEnvConfig(process.cwd());
  const config = configOrExit(process.env);
  const log = createLogger("rebuild", { ...config, LOG_LEVEL: "warn" });
  const view = makeView(config, log);
  const admin = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-rebuild`, log).admin();
  await admin.connect();
  try {
    // Clearing a view with no consumer to write it again would leave the board without it.
    const members = await groupMembers(admin, view.group);
    if (members === 0) {
      console.error(`No consumer of group ${view.group} is running: start one (\`npm run kafka:consumer\`) and run this again. Nothing was changed.`);
      return 1;
    }
    const topic = view.topic ?? config.KAFKA_TOPIC;
    const ends = await admin.fetchTopicOffsets(topic);
    const startedAt = Date.now();
    await view.clear();
    say(`${target} cleared; ${members} consumer(s) of ${view.group} are writing it again from ${topic}`);
    let progress = { left: Number.POSITIVE_INFINITY, at: Date.now() };
    for (;;) {
      const reached = await view.reached();
      // The records each partition still needs, up to the end the log had when this started.
      const left = reached && ends.reduce((sum, { partition, high }) => sum + Math.max(0, Number(high) - Number(reached.get(partition) ?? 0)), 0);
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
      if (left === 0) {
        say(`done in ${seconds} s: ${await view.summary()}`);
        return 0;
      }
      if (left !== undefined && left < progress.left) progress = { left, at: Date.now() };
      else if (Date.now() - progress.at > STALLED_MS) {
        console.error(`[rebuild] no progress for ${STALLED_MS / 1000} s: are the consumers of ${view.group} running? Their log says why.`);
        return 1;
      }
      say(left === undefined ? `waiting for the consumers to begin, ${seconds} s` : `${left} record(s) to go, ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await admin.disconnect();
    await view.close();
  }
}

async function groupMembers(admin: Admin, groupId: string): Promise<number> {
  const [group] = (await admin.describeGroups([groupId])).groups;
  return group?.members.length ?? 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[rebuild] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
