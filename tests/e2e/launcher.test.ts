// `npm run local` as a user runs it: it returns only once everything it started has stopped, and a run
// whose launcher was killed outright is cleaned up by the next one.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { groupAlive, procStat, startProcess, type ManagedProcess } from "../../scripts/stack/processes";
import { readRunRecord, runRecord } from "../../scripts/stack/run-record";
import { freePort, isPortFree, waitFor } from "../../scripts/stack/wait";
import { stack } from "../support/stack";

const running: ManagedProcess[] = [];
const dataDirs: string[] = [];
after(async () => {
  await Promise.all(running.map((child) => child.stop(30_000)));
  // A run whose launcher was killed leaves its processes to the next run; if that failed, stop them here.
  for (const dir of dataDirs) await runRecord(recordIn(dir)).stopLeftovers(() => {});
});

/** Ports for one stack; each Kafka node takes two in a row (its controller the second), the nodes one pair after another. */
async function choosePorts(nodes = 1) {
  const pairFree = async (from: number) => (await Promise.all(Array.from({ length: 2 * nodes - 1 }, (_, i) => isPortFree(from + i + 1)))).every(Boolean);
  let kafka = await freePort();
  while (!(await pairFree(kafka))) kafka = await freePort();
  return { web: await freePort(), inspector: await freePort(), kafka, nodes, redis: await freePort(), postgres: await freePort(), metrics: await freePort() };
}
type Ports = Awaited<ReturnType<typeof choosePorts>>;
const kafkaPorts = (ports: Ports) => Array.from({ length: 2 * ports.nodes }, (_, i) => ports.kafka + i);
const portList = (ports: Ports) => [ports.web, ports.inspector, ...kafkaPorts(ports), ports.redis, ports.postgres, ports.metrics];

let runs = 0;
const logOf = ({ name }: { name: string }) => path.join(stack.workDir, `${name}.log`);
const recordIn = (dataDir: string) => path.join(dataDir, "processes.json");
/** `npm run local` on `ports`, with its data in `dataDir`, started now. */
function launchLocal(ports: Ports, dataDir: string) {
  if (!dataDirs.includes(dataDir)) dataDirs.push(dataDir);
  const name = `local-${++runs}`;
  const args = [
    "run",
    "local",
    "--",
    "--port",
    String(ports.web),
    "--inspector-port",
    String(ports.inspector),
    "--data",
    dataDir,
    "--brokers",
    String(ports.nodes),
  ];
  const local = startProcess(name, "npm", args, {
    cwd: PROJECT_ROOT,
    env: {
      KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      DATABASE_URL: `postgres://board@127.0.0.1:${ports.postgres}/board`,
      CONSUMER_METRICS_PORT: String(ports.metrics),
    },
    output: { file: logOf({ name }) },
  });
  running.push(local);
  return local;
}

/**
 * `npm run local` as `launchLocal` starts it; resolves once it says the board is up, with the process groups
 * it started then (each of its processes leads its own), from the record it keeps.
 */
async function startLocal(ports: Ports, dataDir: string) {
  const local = launchLocal(ports, dataDir);
  const up = await local.waitForLine(/Message board is up.*on Node (\d+)\./, "that the board is up", 240_000);
  assert.equal(up[1], "24", "every process of the board runs on Node 24, whatever Node runs npm");
  const record = readRunRecord(recordIn(dataDir));
  assert.ok(record, `npm run local keeps a record of what it started in ${recordIn(dataDir)}`);
  return Object.assign(local, { groups: new Set([local.pid, ...record.processes.map(({ pid }) => pid)]) });
}
type Local = Awaited<ReturnType<typeof startLocal>>;

/**
 * The ports something still listens on. A port can also be taken for a moment by another program's
 * outgoing connection, given it by the kernel once the launcher let it go: that is no server left running.
 */
async function portsInUse(ports: Ports): Promise<number[]> {
  const listening = await Promise.all(portList(ports).map(async (port) => !(await isPortFree(port)) && (await answers(port))));
  return portList(ports).filter((_, i) => listening[i]);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/**
 * The sockets `ss` shows on local port `port` (listening ones with `-l`), each with the process that holds
 * it where `ss` names one; undefined where `ss` cannot be run.
 */
function socketsOn(port: number, listening: boolean): { pid: number | undefined; line: string }[] | undefined {
  try {
    const out = execFileSync("ss", [listening ? "-ltnpH" : "-tnpH", `sport = :${port}`], { encoding: "utf8" });
    return out
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => ({ pid: Number(/pid=(\d+)/.exec(line)?.[1]) || undefined, line: line.replace(/\s+/g, " ").trim() }));
  } catch {
    return undefined;
  }
}

/**
 * The ports a process of this launcher still listens on: one of its groups. A port can also be held by
 * another program, as a listener on a freed port or as the local end of a connection the kernel gave it:
 * that is none of the launcher's doing, and is said, not counted.
 */
async function leftListening(ports: Ports, { groups }: Local): Promise<{ left: number[]; others: string[] }> {
  const left: number[] = [];
  const others: string[] = [];
  for (const port of await portsInUse(ports)) {
    const listeners = socketsOn(port, true);
    // Without `ss`, an answer is all there is to go on; a listener `ss` cannot name may be the launcher's.
    if (!listeners || listeners.some(({ pid }) => pid === undefined || groups.has(procStat(pid)?.pgrp ?? -1))) left.push(port);
    else if (listeners.length > 0) others.push(...listeners.map(({ line }) => `${port}: ${line}`));
    else
      others.push(
        `${port}: no listener; ${
          socketsOn(port, false)
            ?.map(({ line }) => line)
            .join("; ") || "a connection since closed"
        }`,
      );
  }
  return { left, others };
}

/**
 * SIGTERM as a service manager sends it, to npm alone: npm passes it on and returns when the launcher has
 * ended. SIGHUP as a closing terminal sends it, to the whole process group: npm dies of it at once, so what
 * counts is when the last process of the group, the launcher, has ended. Resolves to how long that took.
 */
async function stopWith(local: ManagedProcess, signal: "SIGTERM" | "SIGHUP"): Promise<number> {
  const asked = performance.now();
  if (signal === "SIGTERM") {
    process.kill(local.pid, signal);
    await local.exited;
  } else {
    process.kill(-local.pid, signal);
    await waitFor("the launcher's process group to end", () => !groupAlive(local.pid), { timeoutMs: 120_000, intervalMs: 50 });
  }
  return performance.now() - asked;
}

test("npm run local stopped by SIGTERM or a closing terminal's SIGHUP ends only once every port it used is free", async (t) => {
  const ports = await choosePorts();
  const dataDir = path.join(stack.workDir, "local-stop");
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    const local = await startLocal(ports, dataDir);
    assert.deepEqual(await portsInUse(ports), portList(ports), "everything is up");
    if (signal === "SIGTERM") {
      // A first start: Kafka formats its storage and creates the group coordinator's topic meanwhile.
      const errors = readFileSync(logOf(local), "utf8")
        .split("\n")
        .filter((line) => /\bERROR\b/.test(line));
      assert.deepEqual(errors, [], "a fresh start logs no errors");
    }
    const ms = await stopWith(local, signal);
    const { left, others } = await leftListening(ports, local);
    const elsewhere = others.length > 0 ? `; taken since by another program: ${others.join("; ")}` : "";
    t.diagnostic(`${signal}: returned after ${Math.round(ms)} ms; ports still in use then: ${left.join(", ") || "none"}${elsewhere}`);
    assert.deepEqual(left, []);
  }
});

test("after its launcher was killed with kill -9, npm run local stops what the last run left and starts cleanly", async (t) => {
  const ports = await choosePorts();
  const dataDir = path.join(stack.workDir, "local-crash");
  const crashed = await startLocal(ports, dataDir);
  // The launcher's whole process group (npm, the shell, tsx), as a closing terminal or a CI timeout kills it.
  await crashed.kill();
  assert.ok((await portsInUse(ports)).includes(ports.kafka), "what it started outlived it");

  const next = await startLocal(ports, dataDir);
  const said = readFileSync(logOf(next), "utf8");
  const stopped = [...said.matchAll(/Stopping (\S+) \(pid \d+\), left running by an earlier npm run local/g)].map((match) => match[1]);
  t.diagnostic(`the next run stopped: ${stopped.join(", ")}`);
  assert.deepEqual(stopped.sort(), ["consumer", "kafka", "postgres", "processor", "redis", "web"]);
  await stopWith(next, "SIGTERM");
  assert.deepEqual(await portsInUse(ports), []);
});

/**
 * SIGTERM to `npm run local`'s whole process group, as a terminal's Ctrl+C (SIGINT) or a CI timeout sends it,
 * 2 s after the board's page first answered (the launcher still busy finishing its start); resolves to how
 * long the group took to end, and the ports still listened on by what it started.
 */
async function stopSoonAfterThePage(ports: Ports, dataDir: string, beforeStop: (dataDir: string) => Promise<void> = async () => {}) {
  const local = launchLocal(ports, dataDir);
  await waitFor("the board's page to answer", async () => (await fetch(`http://127.0.0.1:${ports.web}/`).catch(() => undefined))?.status === 200, {
    timeoutMs: 240_000,
    intervalMs: 100,
  });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const record = readRunRecord(recordIn(dataDir));
  assert.ok(record, "the launcher keeps a record of what it started");
  await beforeStop(dataDir);
  const asked = performance.now();
  process.kill(-local.pid, "SIGTERM");
  await waitFor("the launcher's process group to end", () => !groupAlive(local.pid), { timeoutMs: 60_000, intervalMs: 50 });
  const ms = performance.now() - asked;
  const { left } = await leftListening(ports, Object.assign(local, { groups: new Set([local.pid, ...record.processes.map(({ pid }) => pid)]) }));
  return { ms, left, said: readFileSync(logOf(local), "utf8") };
}

test("SIGTERM to npm run local's process group 2 s after the page first answers: it returns within 20 s, every port free", async (t) => {
  const ports = await choosePorts();
  const { ms, left, said } = await stopSoonAfterThePage(ports, path.join(stack.workDir, "local-early"));
  t.diagnostic(`returned after ${Math.round(ms)} ms; ports still in use: ${left.join(", ") || "none"}`);
  assert.ok(ms < 20_000, `returned after ${Math.round(ms)} ms`);
  assert.deepEqual(left, []);
  assert.match(said, /Stopped\. Data is kept/);
});

test("the same with one of three Kafka nodes killed first: the apps give up on it in time, and every port is free", async (t) => {
  const ports = await choosePorts(3);
  const killNode = async (dataDir: string) => {
    const node = readRunRecord(recordIn(dataDir))?.processes.find((entry) => entry.name === "kafka-2");
    assert.ok(node, "kafka-2 is in the record");
    process.kill(-node.pid, "SIGKILL");
    await waitFor("kafka-2 to be gone", () => !groupAlive(node.pid), { intervalMs: 50 });
  };
  const { ms, left, said } = await stopSoonAfterThePage(ports, path.join(stack.workDir, "local-node-down"), killNode);
  const gaveUp = said.split("\n").filter((line) => line.includes("did not stop within"));
  t.diagnostic(`returned after ${Math.round(ms)} ms; ports still in use: ${left.join(", ") || "none"}; apps that gave up waiting: ${gaveUp.length}`);
  assert.ok(ms < 20_000, `returned after ${Math.round(ms)} ms`);
  assert.deepEqual(left, []);
});
