import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { summarizeProfiles } from "../../scripts/bench/cpu-profile";

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0, columnNumber: 0, scriptId: "0" },
  children,
});

/** A web process's profile: a second of loading modules, then requests; one sample a millisecond. */
const webProcess = {
  nodes: [
    frame(1, "(root)", "", [2, 3, 5]),
    frame(2, "compileSourceTextModule", "node:internal/modules/esm/utils"),
    frame(3, "post", "file:///app/src/lib/http/node-adapter.ts", [4]),
    frame(4, "createMessage", "file:///app/src/lib/messages/create.ts"),
    frame(5, "(idle)", ""),
  ],
  samples: [...Array<number>(1000).fill(2), 4, 4, 4, 5, 5, 2],
  timeDeltas: Array<number>(1006).fill(1000),
  startTime: 0,
  endTime: 1_006_000,
};

function summaryOf(profile: unknown): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cpu-profile-"));
  try {
    writeFileSync(path.join(dir, "web.cpuprofile"), JSON.stringify(profile));
    return summarizeProfiles(dir, 3);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test("a web process's CPU is counted from its first API request on, so that loading at start does not crowd out the load", () => {
  const [total, origins, first] = summaryOf(webProcess);
  assert.equal(total, "web.cpuprofile: 4 ms of CPU from the first API request on");
  assert.equal(origins, "  by origin: project 75.0%, node 25.0%");
  assert.equal(first, "   75.0%  createMessage create.ts:1");
});

test("a profile with no API request in it (the page's, a worker's) is counted whole, idle time left out", () => {
  const page = { ...webProcess, nodes: webProcess.nodes.map((node) => (node.id === 3 ? frame(3, "onMessage", "http://localhost/board.js", [4]) : node)) };
  assert.equal(summaryOf(page)[0], "web.cpuprofile: 1004 ms of CPU");
});
