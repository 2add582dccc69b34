import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Requirement } from "./prerequisites";
import { PROJECT_ROOT } from "./paths";
import { startProcess, type ManagedProcess, type Output, type Started } from "./processes";
import { untilReady } from "./wait";

export const PROMETHEUS: Requirement = {
  command: "prometheus",
  debianPackage: "prometheus",
  neededFor: "collect the board's metrics and evaluate its alert rules",
};

/** The alert rules, shared by docker compose and `npm run local -- --prometheus`. */
export const ALERT_RULES = path.join(PROJECT_ROOT, "scripts", "prometheus", "alerts.yml");

export type ScrapeTargets = { web: string[]; consumers: string[] };

/** A Prometheus configuration that scrapes the web apps and consumers at `targets` (host:port). */
export function prometheusConfig(targets: ScrapeTargets, rules = ALERT_RULES): string {
  const list = (addresses: string[]) => `[${addresses.map((address) => JSON.stringify(address)).join(", ")}]`;
  return `# Written by npm run local -- --prometheus; scripts/prometheus/compose.yml is the docker compose one.
global:
  scrape_interval: 5s
  evaluation_interval: 15s
rule_files:
  - ${JSON.stringify(rules)}
scrape_configs:
  - job_name: message-board-web
    metrics_path: /api/metrics
    static_configs:
      - targets: ${list(targets.web)}
  - job_name: message-board-consumer
    static_configs:
      - targets: ${list(targets.consumers)}
`;
}

/** Prometheus from Debian's package, with its configuration and data in `home`, on 127.0.0.1:`port`. */
export async function startPrometheus({
  port,
  home,
  targets,
  output,
  onStart,
}: {
  port: number;
  home: string;
  targets: ScrapeTargets;
  output: Output;
  onStart?: Started;
}): Promise<ManagedProcess & { url: string }> {
  mkdirSync(path.join(home, "data"), { recursive: true });
  const configFile = path.join(home, "prometheus.yml");
  writeFileSync(configFile, prometheusConfig(targets));
  const server = startProcess(
    "prometheus",
    "prometheus",
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(home, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { output },
  );
  onStart?.(server);
  const url = `http://127.0.0.1:${port}`;
  await untilReady(server, `Prometheus on port ${port}`, async () => (await fetch(`${url}/-/ready`)).ok, 30_000);
  return { ...server, url };
}
