import { spawn } from "node:child_process";
import { appendFileSync, createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export type ManagedProcess = {
  name: string;
  pid: number;
  /** Resolves with the exit code (or the signal's name) when the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM (or its stop signal) to the process group, SIGKILL if it has not ended within the grace period. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the process group at once, as a crash would. */
  kill(): Promise<void>;
  /** The last lines it printed, for error messages. */
  recentOutput(): string;
  /** Resolves with the first line it prints (or printed among its last lines) that matches. */
  waitForLine(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
};

export type ProcStat = { state: string; pgrp: number; startTime: string };

/** A process's state, group and start time (in clock ticks since boot), from /proc; undefined once it is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces: count the fields from after it (field 3 on).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", pgrp: Number(fields[2]), startTime: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

/**
 * Whether any process of the group `pgid` still runs. A killed process whose parent died too may wait a
 * while to be reaped; as a zombie it holds nothing and does not count.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!existsSync("/proc/self/stat")) return true;
  return readdirSync("/proc").some((entry) => {
    const stat = /^\d+$/.test(entry) ? procStat(Number(entry)) : undefined;
    return stat?.pgrp === pgid && stat.state !== "Z";
  });
}

/** Told of a process as soon as it is started, before it is ready: whoever stops things must know it. */
export type Started = (process: ManagedProcess) => void;

/** Where a process's output goes: the terminal with a name before each line, or a log file. */
export type Output = { prefix: string } | { file: string };

type Options = {
  env?: Record<string, string>;
  cwd?: string;
  output: Output;
  /** Another account to run as (a server that refuses root). */
  user?: { uid: number; gid: number };
  /** What asks it to stop: SIGTERM unless the program reads another signal as "stop now, cleanly". */
  stopSignal?: NodeJS.Signals;
};

const KEPT_LINES = 40;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a command in a process group of its own, so that it and every child it starts (npm, tsx and
 * next all start children) are stopped together, by group id, and nothing else on the machine is touched.
 */
export function startProcess(name: string, command: string, args: string[], options: Options): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...options.user,
  });
  if (child.pid === undefined) {
    // The spawn error follows as an event; this throw is its report.
    child.once("error", () => undefined);
    throw new Error(`could not start ${name}: ${command} is missing or cannot run`);
  }
  const pid = child.pid;
  // Set by `npm test`: a test cancelled by its timeout stops nothing it started, so the runner does.
  const startedLog = process.env.STARTED_PROCESSES_LOG;
  if (startedLog) appendFileSync(startedLog, `${JSON.stringify({ name, pid, startedAt: procStat(pid)?.startTime ?? "" })}\n`);
  const recent: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const sink = "file" in options.output ? createWriteStream(options.output.file, { flags: "a" }) : undefined;
  const prefix = "prefix" in options.output ? options.output.prefix : "";
  // The output ends when every process of the group has closed it, which may be after the leader exits.
  let openStreams = 2;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream })
      .on("line", (line) => {
        recent.push(line);
        if (recent.length > KEPT_LINES) recent.shift();
        for (const watch of watchers) watch(line);
        if (sink) sink.write(`${line}\n`);
        else process.stdout.write(`${prefix} ${line}\n`);
      })
      .on("close", () => {
        if (--openStreams === 0) sink?.end();
      });
  }
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const stop = async (graceMs = 10_000) => {
    if (!groupAlive(pid)) return;
    signalGroup(options.stopSignal ?? "SIGTERM");
    // The whole group gets the grace period, not only its leader: a launcher outlives the npm that started
    // it while it stops what it started in turn.
    const deadline = Date.now() + graceMs;
    while (groupAlive(pid) && Date.now() < deadline) await pause(50);
    signalGroup("SIGKILL");
    await exited;
  };
  const kill = async () => {
    signalGroup("SIGKILL");
    await exited;
    while (groupAlive(pid)) await pause(20);
  };
  const waitForLine = (pattern: RegExp, what: string, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        watchers.delete(watch);
        clearTimeout(timer);
        outcome();
      };
      const fail = (why: string) => settle(() => reject(new Error(`${name} ${why} before it said ${what}:\n${recent.join("\n")}`)));
      const watch = (line: string) => {
        const match = pattern.exec(line);
        if (match) settle(() => resolve(match));
      };
      const timer = setTimeout(() => fail(`took over ${timeoutMs} ms`), timeoutMs);
      watchers.add(watch);
      void exited.then((code) => fail(`exited (${code})`));
      for (const line of recent) watch(line);
    });
  return { name, pid, exited, stop, kill, recentOutput: () => recent.join("\n"), waitForLine };
}

/** Waits for a one-off process and fails with its last lines if it did not succeed. */
export async function runToEnd(child: ManagedProcess): Promise<void> {
  const code = await child.exited;
  if (code !== 0) throw new Error(`${child.name} failed (${code}):\n${child.recentOutput()}`);
}

/**
 * A TypeScript entry as node runs it: tsx as a loader in the one process. The tsx command would run a parent
 * that relays stop signals to a child and kills it 60 ms later if it has not said it got them, so that a
 * busy process skipped its shutdown and left what it started running.
 */
export const typescript = (entry: string, args: readonly string[] = [], nodeFlags: readonly string[] = []): [string, string[]] => [
  process.execPath,
  ["--import", "tsx", ...nodeFlags, entry, ...args],
];

/**
 * Runs a script's `main` to its exit code, stopping the processes it started (listed in `running`) at the
 * end, on an error, and on Ctrl+C or SIGTERM.
 */
export function runScript(label: string, running: ManagedProcess[], main: () => Promise<number>): void {
  const stopAll = () => Promise.all(running.splice(0).map((child) => child.stop(20_000)));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().then(() => process.exit(130)));
  // An error nobody caught (a socket's, say) would end the process and leave every child running.
  process.once("uncaughtException", (error) => {
    console.error(`[${label}] ${error.stack ?? error.message}`);
    void stopAll().then(() => process.exit(1));
  });
  void main()
    .catch((error: unknown) => {
      console.error(`[${label}] ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    })
    .then(async (code) => {
      await stopAll();
      process.exit(code);
    });
}
