// Where the history writer's time goes: the history consumer alone writes the same log into PostgreSQL
// once as it is and once per variant (an index left out, asynchronous commit), and each run prints its
// records/s and the CPU time PostgreSQL and this process spent. The variants are for measuring only.
//
//   npx tsx scripts/bench/history-profile.ts [records, default 300000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startHistoryConsumer } from "../../src/lib/consumer/history-consumer";
import { createDatabase } from "../../src/lib/history/database";
import { migrate } from "../../src/lib/history/migrations";
import { createKafka } from "../../src/lib/kafka/client";
import { readLogIdentity } from "../../src/lib/kafka/log-identity";
import { ensureTopic } from "../../src/lib/kafka/topics";
import { createLogger } from "../../src/lib/log";
import { startOwnStack } from "../stack/own-stack";
import { waitFor } from "../stack/wait";
import { fillLog, freshDatabase } from "./history";

const VARIANTS: { name: string; sql: string[] }[] = [
  { name: "as it is", sql: [] },
  { name: "without the words column and its GIN index", sql: ["ALTER TABLE messages DROP COLUMN words"] },
  { name: "without the GIN index (the column still written)", sql: ["DROP INDEX messages_words"] },
  { name: "without the global-order and author B-trees", sql: ["DROP INDEX messages_order", "DROP INDEX messages_author"] },
  { name: "synchronous_commit = off", sql: ["ALTER DATABASE {db} SET synchronous_commit = off"] },
];

const records = Number(process.argv[2] ?? 300_000);
const log = createLogger("profile", { LOG_LEVEL: "warn", LOG_FORMAT: "pretty" });
const work = mkdtempSync(path.join(os.tmpdir(), "history-profile-"));
const stack = await startOwnStack(work, console.log);
const postgresProcess = stack.processes.at(-1)!;

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds of a process and its children that are still running (PostgreSQL's backends). */
function treeCpuSeconds(root: number): number {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" });
  const children = new Map<number, number[]>();
  for (const line of table.trim().split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    children.set(ppid!, [...(children.get(ppid!) ?? []), pid!]);
  }
  let seconds = 0;
  const visit = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      seconds += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // Ended meanwhile.
    }
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return seconds;
}

try {
  const kafka = createKafka(stack.brokers, "history-profile", log);
  const topic = `profile-${process.pid}`;
  await ensureTopic(kafka, topic, 3, [{ name: "message.timestamp.type", value: "LogAppendTime" }]);
  console.log(`Producing ${records.toLocaleString("en")} messages over 100 boards…`);
  await fillLog(kafka, topic, records, 100, () => {});
  for (const [i, variant] of VARIANTS.entries()) {
    const name = `profile_${i}`;
    const url = await freshDatabase(stack.databaseUrl, name);
    const setup = createDatabase(url, "profile-setup", log, 1);
    await migrate(setup);
    for (const sql of variant.sql) await setup.query(sql.replace("{db}", name));
    await setup.end();
    const database = createDatabase(url, "profile", log, 10);
    const written = async () => Number((await database.query<{ sum: string | null }>("SELECT sum(next_offset) FROM history_offsets")).rows[0]?.sum ?? 0);
    const postgresBefore = treeCpuSeconds(postgresProcess.pid);
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    const identify = (of: string) => readLogIdentity(stack.brokers, of);
    const consumer = await startHistoryConsumer({ kafka, database, databaseUrl: url, topic, groupId: `${topic}-${i}`, identify, log });
    await waitFor("history to reach the end of the log", async () => (await written()) >= records, { timeoutMs: 1_800_000, intervalMs: 100 });
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownBefore);
    const postgres = treeCpuSeconds(postgresProcess.pid) - postgresBefore;
    await consumer.stop();
    await database.end();
    console.log(
      `${variant.name.padEnd(50)} ${Math.round(records / seconds)
        .toLocaleString("en")
        .padStart(7)} records/s   PostgreSQL CPU ${postgres.toFixed(1)} s   consumer CPU ${((own.user + own.system) / 1e6).toFixed(1)} s`,
    );
  }
} finally {
  for (const started of stack.processes.toReversed()) await started.stop();
}
