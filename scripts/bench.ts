// `npm run bench [-- --size tiny|full] [--runs N] [--no-build] [--out FILE] [--only a,b] [--profile]`: measures the
// pipeline against a Kafka broker and redis-server of its own and compares each scenario with a naive design
// (scripts/bench/naive.ts), a three-node cluster with the one broker ("replication"), and lasting history in
// PostgreSQL beside the naive way to keep it ("history", scripts/bench/history.ts). Prints a table and writes
// the figures, machine and settings as JSON. The stack and the processes each scenario starts are in
// bench/context.ts, each scenario in bench/scenarios/, the table and the file in bench/report.ts.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "../src/lib/log";
import { createBenchContext, type BenchContext } from "./bench/context";
import { SIZES } from "./bench/sizes";
import { summarizeProfiles } from "./bench/cpu-profile";
import { summarizeTraces } from "./bench/page-trace";
import { machine, printTable, results } from "./bench/report";
import { ingest } from "./bench/scenarios/ingest";
import { endToEnd } from "./bench/scenarios/end-to-end";
import { mixed } from "./bench/scenarios/mixed";
import { onset } from "./bench/scenarios/onset";
import { page } from "./bench/scenarios/page";
import { fanOut } from "./bench/scenarios/fan-out";
import { history } from "./bench/scenarios/history";
import { replication } from "./bench/scenarios/replication";
import { consumer } from "./bench/scenarios/consumer";
import { reactions } from "./bench/scenarios/reactions";
import { transports } from "./bench/scenarios/transports";
import { people } from "./bench/scenarios/people";
import { PROJECT_ROOT } from "./stack/paths";
import { runScript, type ManagedProcess } from "./stack/processes";

const { values: options } = parseArgs({
  options: {
    size: { type: "string", default: "full" },
    runs: { type: "string" },
    "no-build": { type: "boolean", default: false },
    out: { type: "string" },
    only: { type: "string" },
    // Writes a CPU profile of each web process and prints where its time went (the figures pay for it).
    profile: { type: "boolean", default: false },
  },
});
if (options.size !== "tiny" && options.size !== "full") throw new Error(`--size is tiny or full, not ${options.size}`);
const size = { ...SIZES[options.size], ...(options.runs && { runs: Number(options.runs) }) };
const say = (line: string) => console.log(`[bench] ${line}`);

const SCENARIOS = [
  "ingest",
  "end-to-end",
  "mixed",
  "onset",
  "page",
  "fan-out",
  "consumer",
  "replication",
  "history",
  "reactions",
  "transports",
  "people",
] as const;
const only = options.only?.split(",").map((name) => name.trim()) ?? [...SCENARIOS];
const unknownScenario = only.find((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknownScenario) throw new Error(`--only takes ${SCENARIOS.join(", ")}; not ${unknownScenario}`);
const wanted = (scenario: (typeof SCENARIOS)[number]) => only.includes(scenario);
const quiet = createLogger("bench", { LOG_LEVEL: "error", LOG_FORMAT: "pretty" });
const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules", ".bin", name);
const running: ManagedProcess[] = [];

/** Each scenario, in the order they run. */
const RUNS: [(typeof SCENARIOS)[number], (ctx: BenchContext) => Promise<void>][] = [
  ["ingest", ingest],
  ["end-to-end", endToEnd],
  ["mixed", mixed],
  ["onset", onset],
  ["page", page],
  ["fan-out", fanOut],
  ["history", history],
  ["replication", replication],
  ["consumer", consumer],
  ["reactions", reactions],
  ["transports", transports],
  ["people", people],
];

async function main() {
  const ctx = await createBenchContext({ size, options, say, quiet, running, bin, needsBrowser: wanted("page") });
  const { redis, profiles, work } = ctx;
  for (const [scenario, run] of RUNS) if (wanted(scenario)) await run(ctx);

  redis.disconnect();
  if (options.profile) {
    for (const name of readdirSync(profiles)) {
      const dir = path.join(profiles, name);
      for (const line of [...summarizeProfiles(dir), ...summarizeTraces(dir)]) say(`${name}: ${line}`);
    }
    say(`CPU profiles in ${path.relative(PROJECT_ROOT, profiles)} (open them in Chrome's DevTools, Performance)`);
  }
  printTable();
  const out = options.out ?? path.join(PROJECT_ROOT, ".local", "bench", `bench-${options.size}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), size: options.size, settings: size, results }, null, 2)}\n`);
  say(`Figures written to ${path.relative(PROJECT_ROOT, out)}`);
  rmSync(work, { recursive: true, force: true });
}

runScript("bench", running, () => main().then(() => 0));
