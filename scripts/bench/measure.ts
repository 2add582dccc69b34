import { request, type ClientRequest } from "node:http";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { z } from "zod";
import { HttpPool } from "./http-pool";

const pools = new Map<string, HttpPool>();

/** POST /api/messages with a JSON body (as the account whose session cookie is given), on a kept-alive connection; resolves to the answer's status. */
export function post(url: string, body: string, cookie?: string): Promise<number> {
  let pool = pools.get(url);
  if (!pool) pools.set(url, (pool = new HttpPool(url)));
  return pool.post("/api/messages", body, cookie);
}

/** Creates a board through the API; answered 201 once the store has it and the web process knows it. */
export async function createBoard(url: string, slug: string): Promise<void> {
  const response = await fetch(`${url}/api/boards`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: `Bench ${slug}`, slug }),
  });
  if (response.status !== 201) throw new Error(`creating board ${slug} answered ${response.status}: ${await response.text()}`);
}

/** GETs `path` `count` times in turn, each on a connection of its own, as clients that keep none do. */
export async function oneConnectionEach(url: string, path: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      request(`${url}${path}`, { agent: false }, (response) => response.resume().on("end", resolve))
        .on("error", reject)
        .end();
    });
  }
}

/** Closes the kept-alive connections to `url`: the next posts open new ones, as new clients would. */
export function dropConnections(url: string): void {
  pools.get(url)?.close();
  pools.delete(url);
}

/** The q-th quantile (0..1) of some numbers, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A figure over several runs: the median, with the smallest and largest beside it. */
export type Figure = { median: number; min: number; max: number; runs: number[] };
export function figure(runs: readonly number[]): Figure {
  return { median: quantile(runs, 0.5), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] };
}

/**
 * Posts as fast as `clients` sequential clients can for `ms`; each post is answered after the broker ack.
 * With `boards`, client i posts to the board i modulo their number.
 */
export async function closedLoop(
  url: string,
  clients: number,
  ms: number,
  boards: readonly string[] = [],
  cookie?: string,
): Promise<{ perSecond: number; accepted: number; p50: number; p99: number; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const board = boards.length > 0 ? `,"board":"${boards[client % boards.length]}"` : "";
      for (let i = 0; performance.now() < end; i++) {
        const sent = performance.now();
        const status = await post(url, `{"text":"ingest ${client} ${i}"${board}}`, cookie).catch(() => 0);
        if (status === 201) latencies.push(performance.now() - sent);
        else failed++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  return {
    perSecond: (latencies.length / elapsed) * 1000,
    accepted: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failed,
  };
}

/** A plain-HTTP stream viewer that calls `onData` with each chunk; no parsing beyond what the caller does. */
export function openViewer(url: string, onData: (chunk: string) => void): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/messages/stream`, { agent: false }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream answered ${response.statusCode}`));
      response.setEncoding("utf8");
      response.on("data", onData);
      // A stream the server ends or resets is a viewer that stops receiving; arrivals count what it got.
      response.on("error", () => {});
      resolve(req);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Resident memory of every process in a process group, in bytes. */
export function groupRss(pgid: number): number {
  return sumOverGroup(pgid, (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024);
}

const TICKS_PER_SECOND = 100; // USER_HZ, which Linux fixes at 100 for /proc

/** CPU time used so far by every process in a process group, in seconds. */
export function groupCpuSeconds(pgid: number): number {
  return sumOverGroup(pgid, (_pid, fields) => (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
}

/** `fields`: /proc/<pid>/stat after the command name, so fields[2] is the process group, [11] utime, [12] stime. */
function sumOverGroup(pgid: number, measure: (pid: string, fields: string[]) => number): number {
  let total = 0;
  forEachInGroup(pgid, (pid, fields) => (total += measure(pid, fields)));
  return total;
}

/** `visit` may throw ENOENT or ESRCH: the process ended while we looked, and is passed over. */
function forEachInGroup(pgid: number, visit: (pid: string, fields: string[]) => void): void {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    ignoreGone(() => {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) visit(entry, fields);
    });
  }
}

/** A file under /proc, or a thread, that went away; `os.setPriority` puts the system's code in `info`. */
function isGone(error: unknown): boolean {
  const code = z.object({ code: z.string().optional(), info: z.object({ code: z.string() }).optional() }).safeParse(error).data;
  return ["ENOENT", "ESRCH"].includes(code?.info?.code ?? code?.code ?? "");
}

/**
 * Gives every thread of the process groups `pgids`, and of this process, the nice value `nice`. Linux keeps
 * one per thread, and a thread started later takes its creator's, so every thread running now is set. With
 * autogroups (the kernel's default), the scheduler first shares the cores between sessions, and each of
 * these processes leads a session of its own: a session's weight is its autogroup's nice value, set too.
 * Raising a priority again needs root.
 */
export function setPriority(pgids: number[], nice: number): void {
  const set = (pid: string) => {
    for (const thread of readdirSync(`/proc/${pid}/task`)) ignoreGone(() => os.setPriority(Number(thread), nice));
    ignoreGone(() => setAutogroupNice(pid, nice));
  };
  for (const pgid of pgids) forEachInGroup(pgid, set);
  set("self");
}

/**
 * The file is absent where the kernel has no autogroups, and reads empty for a process still in the session of
 * the machine's first process: that group is the whole system's and has no weight of its own to set.
 */
function setAutogroupNice(pid: string, nice: number): void {
  const file = `/proc/${pid}/autogroup`;
  if (readFileSync(file, "utf8").trim()) writeFileSync(file, String(nice));
}

function ignoreGone(act: () => void): void {
  try {
    act();
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

/**
 * First-use loading and JIT out of the way with a few viewers and a broadcast, closed again: then the
 * server's memory grows by what the viewers measured after this hold, and nothing else.
 */
export async function warmUpViewers(url: string, open: (url: string, onData: (chunk: string) => void) => Promise<{ destroy(): void }>): Promise<void> {
  const warm = await Promise.all(Array.from({ length: 20 }, () => open(url, () => {})));
  await post(url, `{"text":"warm-up"}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const viewer of warm) viewer.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
}
