// `npm run bench` works: the tiny size, on the test stack and the build the browser tests use. Figures are
// not checked here; the benchmark is not a timed test.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { stack } from "../support/stack";

test("the benchmark runs every scenario with its naive baseline, prints the table and writes its figures", async () => {
  const out = path.join(stack.workDir, "bench-tiny.json");
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["scripts/bench.ts", "--size", "tiny", "--no-build", "--out", out], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (exitCode) => resolve({ code: exitCode, output }));
  });
  assert.equal(code, 0, output);
  for (const scenario of ["ingest, 1 client", "end to end p99", "fan-out p99", "consumer, backlog"]) assert.match(output, new RegExp(scenario));
  const written = JSON.parse(readFileSync(out, "utf8")) as { machine: { cpus: number }; results: Record<string, unknown> };
  assert.ok(written.machine.cpus > 0);
  assert.deepEqual(Object.keys(written.results).sort(), ["consumer", "endToEnd", "fanOut", "ingest"]);
});
