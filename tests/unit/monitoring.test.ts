// The dashboards and alerts ask only for what the app exports. No Prometheus or Grafana needed here;
// tests/integration/monitoring.test.ts has promtool check them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { z } from "zod";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { createConsumerMetrics } from "../../src/lib/consumer/metrics";
import { createWebMetrics } from "../../src/lib/metrics/web-metrics";

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");

/** Every series name the web app and the consumer export, histograms with their _bucket, _sum and _count. */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>(["up"]);
  for (const { registry } of [createWebMetrics(() => 0), createConsumerMetrics()]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${metric.name}${suffix}`);
    }
  }
  return names;
}

/** The metric names in a PromQL expression: identifiers that are neither functions, keywords nor labels. */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "");
  const withoutGrouping = withoutStrings.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  return [...withoutGrouping.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((match) => match[1]!)
    .filter((name) => !["and", "or", "unless", "le", "bool", "offset"].includes(name) && !/^\d/.test(name));
}

const dashboard = z
  .object({ panels: z.array(z.object({ title: z.string(), targets: z.array(z.object({ expr: z.string() })) })) })
  .parse(JSON.parse(read("scripts/grafana/message-board.json")));
const rules = z
  .object({ groups: z.array(z.object({ rules: z.array(z.object({ alert: z.string(), expr: z.string() })) })) })
  .parse(parse(read("scripts/prometheus/alerts.yml")));

test("every query of the dashboard names a metric the app exports", async () => {
  const names = await exported();
  const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })));
  assert.ok(queries.length >= 10);
  for (const { panel, expr } of queries) {
    const used = metricsIn(expr);
    assert.ok(used.length > 0, `${panel}: ${expr} names no metric`);
    for (const name of used) assert.ok(names.has(name), `${panel}: ${name} is not exported`);
  }
});

test("the alert rules cover what operators must hear of, each on exported metrics", async () => {
  const names = await exported();
  const alerts = rules.groups.flatMap((group) => group.rules);
  assert.deepEqual(
    alerts.map((rule) => rule.alert),
    ["ConsumerLagRising", "DeadLettersAppearing", "ViewRebuiltFromNewLog", "NoConsumerInGroup", "ProduceErrors", "UnderReplicatedPartitions", "TargetDown"],
  );
  for (const { alert, expr } of alerts) for (const name of metricsIn(expr)) assert.ok(names.has(name), `${alert}: ${name} is not exported`);
});

test("the metric names found in PromQL are the metrics, not the functions, labels or operators", () => {
  assert.deepEqual(metricsIn('histogram_quantile(0.99, sum by (le, stage) (rate(board_x_bucket{a="b"}[1m])))'), ["board_x_bucket"]);
  assert.deepEqual(metricsIn("max by (group) (board_members) == 0 and up"), ["board_members", "up"]);
});
