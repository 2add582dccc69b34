// Prometheus as operators run it: promtool accepts the alert rules and both scrape configurations, and a
// real Prometheus (Debian's) scrapes a consumer's metrics and loads the rules.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { z } from "zod";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { ALERT_RULES, prometheusConfig, startPrometheus } from "../../scripts/stack/prometheus-server";
import { createConsumerMetrics, serveMetrics } from "../../src/lib/consumer/metrics";
import { cleanupList, onFreePorts, stack, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

function promtool(...args: string[]): string {
  const run = spawnSync("promtool", args, { encoding: "utf8" });
  assert.equal(run.status, 0, `promtool ${args.join(" ")}:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

test("promtool accepts the alert rules, the docker compose scrape settings and the local ones", () => {
  assert.match(promtool("check", "rules", ALERT_RULES), /SUCCESS: 7 rules found/);
  for (const file of ["compose.yml", "compose-cluster.yml"])
    assert.match(promtool("check", "config", path.join(PROJECT_ROOT, "scripts/prometheus", file)), /SUCCESS/);
  const local = path.join(stack.workDir, "prometheus-local.yml");
  writeFileSync(local, prometheusConfig({ web: ["127.0.0.1:3000"], consumers: ["127.0.0.1:9464", "127.0.0.1:9465"] }));
  assert.match(promtool("check", "config", local), /SUCCESS/);
});

const targetsSchema = z.object({ data: z.object({ activeTargets: z.array(z.object({ labels: z.object({ job: z.string() }), health: z.string() })) }) });
const rulesSchema = z.object({ data: z.object({ groups: z.array(z.object({ rules: z.array(z.object({ name: z.string(), health: z.string() })) })) }) });
const querySchema = z.object({ data: z.object({ result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })) }) });

test("Prometheus scrapes a consumer's metrics and evaluates the rules", async () => {
  const metrics = createConsumerMetrics();
  const server = await serveMetrics(metrics.registry, 0);
  cleanup.add(server, (opened) => opened.close());
  metrics.stored.inc(42);
  const consumer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prometheus = await onFreePorts(1, ([port = 0]) =>
    startPrometheus({
      port,
      home: path.join(stack.workDir, "prometheus"),
      targets: { web: [], consumers: [consumer] },
      output: { file: path.join(stack.workDir, "prometheus.log") },
    }),
  );
  cleanup.add(prometheus, (started) => started.stop());
  const api = async <T>(schema: z.ZodType<T>, query: string) => schema.parse(await (await fetch(`${prometheus.url}/api/v1/${query}`)).json());

  await waitFor("the consumer scraped", async () => (await api(targetsSchema, "targets")).data.activeTargets.some((target) => target.health === "up"), {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  const stored = await waitFor("the counter in Prometheus", async () => (await api(querySchema, "query?query=board_messages_stored_total")).data.result[0]);
  assert.equal(stored.value[1], "42");
  const rules = await waitFor(
    "the rules evaluated",
    async () => {
      const loaded = (await api(rulesSchema, "rules")).data.groups.flatMap((group) => group.rules);
      return loaded.length > 0 && loaded.every((rule) => rule.health === "ok") && loaded;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.equal(rules.length, 7);
});
