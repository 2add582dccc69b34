// `npm run rebuild -- postgres`: rebuilds the board's history in PostgreSQL from the Kafka log, while the
// board stays online. History is cleared in one transaction; the running history consumers hear of it,
// go back to the start of the log and write everything again, and this shows their progress.
import nextEnv from "@next/env";
import { configOrExit } from "../src/lib/config";
import { createKafka } from "../src/lib/kafka/client";
import { createDatabase } from "../src/lib/history/database";
import { clearHistory, historyOffsets } from "../src/lib/history/message-history";
import { migrate } from "../src/lib/history/migrations";
import { createLogger } from "../src/lib/log";

const TARGETS = ["postgres"] as const;
const STALLED_MS = 60_000;
const say = (line: string) => console.log(`[rebuild] ${line}`);

async function main(): Promise<number> {
  const target = process.argv[2];
  if (!TARGETS.includes(target as (typeof TARGETS)[number])) {
    console.error(`Usage: npm run rebuild -- ${TARGETS.join("|")}`);
    return 2;
  }
  nextEnv.loadEnvConfig(process.cwd());
  const config = configOrExit(process.env);
  if (!config.DATABASE_URL) {
    console.error("DATABASE_URL is not set: there is no history to rebuild.");
    return 1;
  }
  const log = createLogger("rebuild", { ...config, LOG_LEVEL: "warn" });
  const database = createDatabase(config.DATABASE_URL, "message-board-rebuild", log);
  const admin = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-rebuild`, log).admin();
  await admin.connect();
  try {
    // Clearing history with no consumer to write it again would leave the board without its past.
    const [group] = (await admin.describeGroups([config.HISTORY_CONSUMER_GROUP])).groups;
    if (!group || group.members.length === 0) {
      console.error(
        `No history consumer is running (group ${config.HISTORY_CONSUMER_GROUP} has no members): start one (\`npm run kafka:consumer\` with DATABASE_URL set) and run this again. Nothing was changed.`,
      );
      return 1;
    }
    await migrate(database);
    const ends = await admin.fetchTopicOffsets(config.KAFKA_TOPIC);
    const total = ends.reduce((sum, { low, high }) => sum + Number(high) - Number(low), 0);
    const startedAt = Date.now();
    let progress = { done: -1, at: Date.now() };
    await clearHistory(database);
    say(`history cleared; ${group.members.length} consumer(s) are writing ${total} record(s) again from ${config.KAFKA_TOPIC}`);
    for (;;) {
      const reached = await historyOffsets(database, config.KAFKA_TOPIC);
      const done = ends.reduce((sum, { partition, low, high }) => sum + Math.min(Number(high), Number(reached.get(partition) ?? low)) - Number(low), 0);
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
      if (done >= total) {
        const { rows } = await database.query<{ count: string }>("SELECT count(*) FROM messages");
        say(`done in ${seconds} s: ${total} record(s) read, ${rows[0]?.count ?? 0} message(s) in history`);
        return 0;
      }
      if (done > progress.done) progress = { done, at: Date.now() };
      else if (Date.now() - progress.at > STALLED_MS) {
        console.error(`[rebuild] no progress for ${STALLED_MS / 1000} s at ${done} of ${total}: are the history consumers running? Their log says why.`);
        return 1;
      }
      say(`${done} of ${total} record(s) (${total ? Math.floor((100 * done) / total) : 100}%), ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await admin.disconnect();
    await database.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[rebuild] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
