import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { MissingPrerequisite } from "./prerequisites";
import { groupAlive, procStat } from "./processes";
import { waitFor } from "./wait";

const entrySchema = z.object({ name: z.string(), pid: z.number().int().positive(), startedAt: z.string() });
const recordSchema = z.object({ launcher: entrySchema, processes: z.array(entrySchema) });
type Entry = z.infer<typeof entrySchema>;
export type RunRecord = z.infer<typeof recordSchema>;

/**
 * A live process's start time: with its id, it names one process, never a later one that got the same id.
 * Unlike the command line, it is set at fork and does not change when the process execs or renames itself
 * (redis-server does). A zombie, killed and waiting to be reaped, is not alive.
 */
function startTimeOf(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat && stat.state !== "Z" ? stat.startTime : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readJson(file: string): unknown {
  try {
    return parseJson(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * What `npm run local` has started, written to a file while it runs. If the launcher dies without
 * stopping them (kill -9), the next run reads the file and stops what is still running, by process
 * group and only when it is the very process recorded, so that no other program is touched.
 */
export function runRecord(file: string) {
  const launcher: Entry = { name: "npm run local", pid: process.pid, startedAt: startTimeOf(process.pid) ?? "" };
  const processes: Entry[] = [];
  const write = () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ launcher, processes }, null, 2));
  };
  return {
    add(name: string, pid: number) {
      processes.push({ name, pid, startedAt: startTimeOf(pid) ?? "" });
      write();
    },
    /** Once all have stopped. A run that started nothing leaves an earlier run's file alone. */
    remove: () => {
      if (processes.length > 0) rmSync(file, { force: true });
    },

    /** Stops what an earlier run left behind, saying which; refuses if that run is still alive. */
    async stopLeftovers(say: (line: string) => void): Promise<void> {
      if (!existsSync(file)) return;
      const record = readRunRecord(file);
      if (!record) return rmSync(file);
      if (alive(record.launcher)) {
        throw new MissingPrerequisite(`npm run local is already running (pid ${record.launcher.pid}): stop it first, or use its stack.`);
      }
      await stopAlive(record.processes, "an earlier npm run local that did not stop", say);
      rmSync(file);
    },
  };
}

/** The record a launcher keeps while it runs; undefined where there is none or it cannot be read. */
export function readRunRecord(file: string): RunRecord | undefined {
  const parsed = recordSchema.safeParse(readJson(file));
  return parsed.success ? parsed.data : undefined;
}

/** Stops, by process group, what the lines of a STARTED_PROCESSES_LOG name and is still that very process. */
export async function stopLoggedLeftovers(file: string, say: (line: string) => void): Promise<void> {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  // A line cut short (its writer was killed mid-write) names no process and is skipped.
  const entries = lines.flatMap((line) => {
    const parsed = entrySchema.safeParse(parseJson(line));
    return parsed.success ? [parsed.data] : [];
  });
  await stopAlive(entries, "a test that did not finish", say);
}

const alive = (entry: Entry) => startTimeOf(entry.pid) === entry.startedAt;

async function stopAlive(entries: Entry[], leftBy: string, say: (line: string) => void): Promise<void> {
  for (const entry of entries.filter(alive)) {
    say(`Stopping ${entry.name} (pid ${entry.pid}), left running by ${leftBy}…`);
    process.kill(-entry.pid, "SIGTERM");
    await waitFor(`${entry.name} to stop`, () => !groupAlive(entry.pid), { timeoutMs: 30_000, intervalMs: 200 }).catch(() => {
      if (groupAlive(entry.pid)) process.kill(-entry.pid, "SIGKILL");
    });
  }
}
