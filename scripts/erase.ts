// `npm run erase -- <message-id> [<message-id> …]`: makes messages' text unrecoverable from every copy the
// board keeps. The topic is written again without it (src/lib/kafka/erase-log.ts); the views find a new log
// under the topic's name and rebuild from it; then Redis rewrites its append-only file, which still holds
// the commands that once stored the text. The board stays up; posts are refused (503, and sent again by the
// page) while the topic is being written again.
import nextEnv from "@next/env";
import { z } from "zod";
import { configOrExit } from "../src/lib/config";
import { createKafka } from "../src/lib/kafka/client";
import { eraseFromLog } from "../src/lib/kafka/erase-log";
import { logKey, readLogIdentity } from "../src/lib/kafka/log-identity";
import { createDatabase } from "../src/lib/history/database";
import { historyLog } from "../src/lib/history/message-history";
import { createLogger } from "../src/lib/log";
import { messageIdSchema } from "../src/lib/messages/schema";
import { storeKeys } from "../src/lib/store/keys";
import { createRedis } from "../src/lib/store/redis";

const say = (line: string) => console.log(`[erase] ${line}`);
const VIEWS_WITHIN_MS = 180_000;

async function main(): Promise<number> {
  const ids = z.array(messageIdSchema).min(1).safeParse(process.argv.slice(2));
  if (!ids.success) {
    console.error("Usage: npm run erase -- <message-id> [<message-id> …] (the ids of the messages, UUIDs)");
    return 2;
  }
  nextEnv.loadEnvConfig(process.cwd());
  const config = configOrExit(process.env);
  const log = createLogger("erase", { ...config, LOG_LEVEL: "warn" });
  const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-erase`, log);
  const startedAt = Date.now();
  say(`writing ${config.KAFKA_TOPIC} again without ${ids.data.length} message(s); posts wait meanwhile`);
  const erased = await eraseFromLog(kafka, config.KAFKA_TOPIC, new Set(ids.data), log);
  say(`${erased.records} record(s) copied back, ${erased.replaced} replaced by deletions, in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  if (erased.replaced === 0) say("none of these ids was on the log");

  // The views rebuild from the new log; until they have, their old copies still hold the text.
  const now = logKey(await readLogIdentity(config.KAFKA_BROKERS, config.KAFKA_TOPIC));
  const redis = createRedis(config.REDIS_URL, "message-board-erase");
  const keys = storeKeys(config);
  const database = config.DATABASE_URL ? createDatabase(config.DATABASE_URL, "message-board-erase", log) : undefined;
  try {
    const deadline = Date.now() + VIEWS_WITHIN_MS;
    for (;;) {
      const [store, history] = await Promise.all([redis.get(keys.log), database ? historyLog(database, config.KAFKA_TOPIC) : now]);
      if (store === now && history === now) break;
      if (Date.now() > deadline) {
        console.error(
          `[erase] the views have not moved to the new log within ${VIEWS_WITHIN_MS / 1000} s: are the consumers running (npm run kafka:consumer)?`,
        );
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    say("Redis and PostgreSQL are rebuilt from the new log");
    await redis.bgrewriteaof().catch(() => undefined);
    while (/aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await redis.info("persistence"))) await new Promise((resolve) => setTimeout(resolve, 200));
    say(
      `done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Copies the board does not keep: backups, PostgreSQL's write-ahead log until it is recycled, pages open in browsers (README, "Deleting and erasing")`,
    );
    return 0;
  } finally {
    redis.disconnect();
    await database?.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[erase] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
