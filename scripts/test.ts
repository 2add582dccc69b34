// `npm test [unit|integration|e2e|<test file> ...]`: type-checks, checks the layers, lint and format (unless
// single files are asked for), then runs the chosen suites (all by default). The
// integration and browser suites get a Kafka broker and a redis-server of their own, on free ports and in
// a temporary directory, so that a running `npm run local` is left alone.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "./stack/paths";
import { startOwnStack } from "./stack/own-stack";
import { CHROMIUM, NGINX, onPath } from "./stack/prerequisites";
import { PROMETHEUS } from "./stack/prometheus-server";
import { runScript, type ManagedProcess } from "./stack/processes";
import { stopLoggedLeftovers } from "./stack/run-record";

const SUITES = ["unit", "integration", "e2e"] as const;
const STATIC_CHECKS: [string, string[]][] = [
  ["depcruise", ["src", "scripts", "tests", "--config", ".dependency-cruiser.cjs"]],
  ["eslint", ["."]],
  ["prettier", ["--check", "."]],
];
type Suite = (typeof SUITES)[number];
const say = (line: string) => console.log(`[test] ${line}`);
const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules", ".bin", name);
const running: ManagedProcess[] = [];

async function main(): Promise<number> {
  // Suites by name, or single files (tests/e2e/faults.test.ts), which bring their suite's setup.
  const asked = process.argv.slice(2);
  const askedFiles = asked.filter((name) => name.endsWith(".test.ts"));
  const suiteOf = (file: string) => SUITES.find((suite) => file.split(path.sep).includes(suite));
  const unknown = asked.filter((name) => (askedFiles.includes(name) ? !suiteOf(name) : !SUITES.includes(name as Suite)));
  if (unknown.length > 0) throw new Error(`Unknown suite or file ${unknown.join(", ")}: choose from ${SUITES.join(", ")} or tests/<suite>/*.test.ts.`);
  const suites = SUITES.filter((suite) => asked.length === 0 || asked.includes(suite) || askedFiles.some((file) => suiteOf(file) === suite));
  const files = [...suites.filter((suite) => asked.length === 0 || asked.includes(suite)).flatMap(testFiles), ...askedFiles];

  say("Type-checking…");
  if ((await run(bin("tsc"), ["--noEmit"])) !== 0) return 1;
  if (askedFiles.length === 0) {
    // The tree's own rules: the layers import downward only, the linter's findings, one format.
    say("Checking dependencies, lint and format…");
    for (const [command, args] of STATIC_CHECKS) if ((await run(bin(command), args)) !== 0) return 1;
  }

  const env: Record<string, string> = { NEXT_TELEMETRY_DISABLED: "1", KAFKAJS_NO_PARTITIONER_WARNING: "1" };
  const needsStack = suites.some((suite) => suite !== "unit");
  const work = mkdtempSync(path.join(os.tmpdir(), "message-board-test-"));
  if (needsStack) {
    // Prometheus's promtool checks the alert rules and scrape settings in the integration tests; the browser
    // tests drive Chromium, and put nginx in front of two web instances.
    const extra = [...(suites.includes("integration") ? [PROMETHEUS] : []), ...(suites.includes("e2e") ? [CHROMIUM, NGINX] : [])];
    const stack = await startOwnStack(work, say, extra);
    running.push(...stack.processes);
    Object.assign(env, {
      TEST_KAFKA_BROKERS: stack.brokers.join(","),
      TEST_REDIS_URL: stack.redisUrl,
      TEST_DATABASE_URL: stack.databaseUrl,
      TEST_WORK_DIR: work,
      TEST_STACK_PROCESS_GROUPS: stack.processes.map((child) => child.pid).join(","),
    });
  }
  if (suites.includes("e2e")) {
    env.CHROMIUM_PATH = onPath("chromium") ?? "/usr/bin/chromium";
    say("Building the web app for the browser tests…");
    if ((await run(bin("next"), ["build"], env)) !== 0) return 1;
  }

  const args = ["--import", "tsx", "--test", "--test-concurrency=1", "--test-timeout=600000", "--test-reporter=spec", ...files];
  const startedLog = path.join(work, "started-processes.jsonl");
  const code = await run(process.execPath, args, { ...env, STARTED_PROCESSES_LOG: startedLog });
  await stopLoggedLeftovers(startedLog, say);
  if (code === 0) rmSync(work, { recursive: true, force: true });
  else say(`Logs of the test run are in ${work}`);
  return code;
}

function testFiles(suite: Suite): string[] {
  const dir = path.join("tests", suite);
  return readdirSync(path.join(PROJECT_ROOT, dir))
    .filter((name) => name.endsWith(".test.ts"))
    .sort()
    .map((name) => path.join(dir, name));
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

runScript("test", running, main);
