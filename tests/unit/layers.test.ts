// The layer rules (.dependency-cruiser.cjs) against a small tree that breaks each of them once: every rule
// fires where it should, and nowhere else. A rule that never fires would pass any tree.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { PROJECT_ROOT } from "../../scripts/stack/paths";

/** A file, what it imports (paths from the tree's root, or a package), and the rule that import breaks. */
type Entry = [file: string, imports: string[], breaks?: string];

const TREE: Entry[] = [
  // Allowed: each layer importing what is below it; a component the message, and a package.
  ["src/lib/messages/schema.ts", ["zod"]],
  ["src/lib/config.ts", []],
  ["src/lib/http/route.ts", []],
  ["scripts/tool.ts", []],
  ["src/lib/store/ok.ts", ["src/lib/messages/schema.ts"]],
  ["src/lib/history/ok.ts", ["src/lib/messages/schema.ts"]],
  ["src/lib/board/ok.ts", ["src/lib/store/ok.ts", "src/lib/history/ok.ts"]],
  ["src/components/Ok.ts", ["src/lib/messages/schema.ts", "react"]],
  ["src/server/ok.ts", ["src/lib/board/ok.ts"]],
  // One forbidden import each.
  ["src/lib/board/up.ts", ["src/server/ok.ts"], "lib-not-up"],
  ["src/lib/store/tool.ts", ["scripts/tool.ts"], "src-not-into-tools"],
  ["src/lib/messages/base.ts", ["src/lib/history/ok.ts"], "base-stays-base"],
  ["src/lib/history/logic.ts", ["src/lib/board/ok.ts"], "clients-below-logic"],
  ["src/lib/kafka/redis.ts", ["src/lib/store/ok.ts"], "kafka-and-redis-apart"],
  ["src/lib/store/kafka.ts", ["src/lib/kafka/redis.ts"], "redis-and-kafka-apart"],
  ["src/lib/history/redis.ts", ["src/lib/store/ok.ts"], "postgres-apart"],
  ["src/lib/realtime/postgres.ts", ["src/lib/history/ok.ts"], "realtime-below-board"],
  ["src/lib/board/http.ts", ["src/lib/http/route.ts"], "board-below-http"],
  ["src/lib/consumer/web.ts", ["src/lib/realtime/postgres.ts"], "consumer-apart"],
  ["src/server/page.ts", ["src/components/Ok.ts"], "server-not-into-pages"],
  ["src/components/Settings.ts", ["src/lib/config.ts"], "browser-code-stays-light"],
  ["src/lib/messages/one.ts", ["src/lib/messages/two.ts"], "no-circular"],
  // A cycle is reported once, from the module where it is first met.
  ["src/lib/messages/two.ts", ["src/lib/messages/one.ts"]],
  ["src/lib/messages/lost.ts", ["src/lib/messages/missing.ts"], "not-to-unresolvable"],
];

const reportSchema = z.object({
  summary: z.object({ violations: z.array(z.object({ from: z.string(), to: z.string(), rule: z.object({ name: z.string() }) })) }),
});

test("each layer rule fires on the import it forbids, and on nothing allowed", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "layers-"));
  try {
    for (const [file, imports] of TREE) {
      mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
      const lines = imports.map((target, i) => {
        const relative = path.relative(path.dirname(file), target).replace(/\.ts$/, "");
        const specifier = target.includes("/") ? (relative.startsWith(".") ? relative : `./${relative}`) : target;
        return `import * as m${i} from "${specifier}";\nexport const u${i} = m${i};`;
      });
      writeFileSync(path.join(root, file), `${lines.join("\n")}\nexport {};\n`);
    }
    writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "esnext", moduleResolution: "bundler" } }));
    // Packages resolve from the project's own node_modules.
    writeFileSync(path.join(root, "package.json"), "{}");
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules"));
    const run = spawnSync(
      path.join(PROJECT_ROOT, "node_modules", ".bin", "depcruise"),
      ["src", "scripts", "--config", path.join(PROJECT_ROOT, ".dependency-cruiser.cjs"), "--output-type", "json"],
      { cwd: root, encoding: "utf8" },
    );
    const { violations } = reportSchema.parse(JSON.parse(run.stdout)).summary;
    const fired = violations.map(({ from, rule }) => `${rule.name} ${from}`).sort();
    const expected = TREE.flatMap(([file, , breaks]) => (breaks ? [`${breaks} ${file}`] : [])).sort();
    assert.deepEqual(fired, expected, run.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
