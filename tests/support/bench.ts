import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { stack } from "./stack";

type Written = { machine: { cpus: number }; results: Record<string, unknown> };

/** `npm run bench -- --size tiny` on the test stack and the build the browser tests use; what it printed and wrote. */
export async function runTinyBench(file: string, args: string[], env: Record<string, string> = {}) {
  const out = path.join(stack.workDir, file);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["scripts/bench.ts", "--size", "tiny", "--no-build", "--out", out, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (exitCode) => resolve({ code: exitCode, output }));
  });
  const written: Written = code === 0 ? (JSON.parse(readFileSync(out, "utf8")) as Written) : { machine: { cpus: 0 }, results: {} };
  return { code, output, written };
}
