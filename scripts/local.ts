// `npm run local`: Kafka (KRaft), Redis, PostgreSQL, the consumer, the stream processor and the web app on this machine, without Docker.
// Options: --brokers 1|3 (Kafka nodes, on port pairs from 9092)  --consumers N  --port P  --prod
//          --web N (instances; with more than one, nginx balances them on --port and they take the next ports)
//          --inspector-port P  --data DIR (where Kafka, Redis and PostgreSQL keep their data; .local by default)
//          --prometheus (Prometheus from Debian's package on --prometheus-port, 9090, with the alert rules)
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import nextEnv from "@next/env";
import { ConfigError, parseConfig } from "../src/lib/config";
import { createKafka } from "../src/lib/kafka/client";
import { ensureBoardTopics, ensureReactionTopics } from "../src/lib/kafka/topics";
import { createLogger } from "../src/lib/log";
import { startInspectorProxy } from "./stack/inspector-proxy";
import { checkNodeCount, ensureKafkaJars, KafkaCluster, nodesFrom } from "./stack/kafka-broker";
import { LOCAL_DIR, PROJECT_ROOT } from "./stack/paths";
import { startBalancer } from "./stack/balancer";
import { ensureCommands, ensureJava17, JAVA, MAVEN, MissingPrerequisite, NGINX, POSTGRES, REDIS } from "./stack/prerequisites";
import { startPostgresServer } from "./stack/postgres-server";
import { PROMETHEUS, startPrometheus } from "./stack/prometheus-server";
import { runToEnd, startProcess, typescript, type ManagedProcess } from "./stack/processes";
import { startRedisServer } from "./stack/redis-server";
import { runRecord } from "./stack/run-record";
import { isPortFree, waitFor } from "./stack/wait";

const say = (line: string) => console.log(`[local] ${line}`);
const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules", ".bin", name);
const appEnv = { NEXT_TELEMETRY_DISABLED: "1", LOG_FORMAT: process.env.LOG_FORMAT || "pretty" };

const { values } = parseArgs({
  options: {
    brokers: { type: "string", default: "1" },
    consumers: { type: "string", default: "1" },
    web: { type: "string", default: "1" },
    port: { type: "string", default: "3000" },
    "inspector-port": { type: "string", default: "8080" },
    data: { type: "string", default: LOCAL_DIR },
    prod: { type: "boolean", default: false },
    prometheus: { type: "boolean", default: false },
    "prometheus-port": { type: "string", default: "9090" },
  },
});
const dataDir = path.resolve(values.data);
const record = runRecord(path.join(dataDir, "processes.json"));
const started: ManagedProcess[] = [];

function track<T extends ManagedProcess>(child: T): T {
  started.push(child);
  record.add(child.name, child.pid);
  // Started by a launch still under way when a stop came: stopped at once.
  if (stoppingSince !== undefined) void child.stop();
  return child;
}

async function main() {
  const startedAt = Date.now();
  const brokerCount = positive(values.brokers, "--brokers");
  checkNodeCount(brokerCount);
  const consumers = positive(values.consumers, "--consumers");
  const webCount = positive(values.web, "--web");
  const firstWebPort = positive(values.port, "--port");
  const inspectorPort = positive(values["inspector-port"], "--inspector-port");
  const prometheusPort = values.prometheus ? positive(values["prometheus-port"], "--prometheus-port") : undefined;
  // The development server allows one instance per project directory, so several run the production build.
  const production = values.prod || webCount > 1;

  nextEnv.loadEnvConfig(PROJECT_ROOT, !production);
  const config = parseConfig(process.env);
  const kafkaNodes = nodesFrom(localPort(config.KAFKA_BROKERS[0] ?? "", "KAFKA_BROKERS"), brokerCount);
  const redisPort = localPort(new URL(config.REDIS_URL).host, "REDIS_URL");
  const databaseUrl = config.DATABASE_URL ?? LOCAL_DATABASE_URL;
  const postgresPort = localPort(new URL(databaseUrl).host, "DATABASE_URL");
  // Several instances sit behind nginx on the board's port, one address for all of them.
  const balanced = webCount > 1;
  const webPorts = Array.from({ length: webCount }, (_, i) => firstWebPort + i + (balanced ? 1 : 0));
  const metricsPorts =
    typeof config.CONSUMER_METRICS_PORT === "number" && config.CONSUMER_METRICS_PORT > 0
      ? Array.from({ length: consumers }, (_, i) => Number(config.CONSUMER_METRICS_PORT) + i)
      : [];

  ensureCommands([JAVA, MAVEN, REDIS, POSTGRES, ...(balanced ? [NGINX] : []), ...(prometheusPort ? [PROMETHEUS] : [])], say);
  ensureJava17();
  await record.stopLeftovers(say);
  await ensurePortsFree([
    ...kafkaNodes.flatMap((node): [number, string][] => [
      [node.port, `Kafka node ${node.id}`],
      [node.controllerPort, `Kafka node ${node.id}'s controller`],
    ]),
    [redisPort, "Redis"],
    [postgresPort, "PostgreSQL"],
    ...(balanced ? [[firstWebPort, "the balancer"] as [number, string]] : []),
    ...webPorts.map((port): [number, string] => [port, "the web app"]),
    [inspectorPort, "the Kafka inspector"],
    ...metricsPorts.map((port): [number, string] => [port, "the consumer's metrics"]),
    ...(prometheusPort ? [[prometheusPort, "Prometheus"] as [number, string]] : []),
  ]);
  ensureKafkaJars(say);
  if (production) {
    say("Building the web app for production…");
    await runToEnd(track(startProcess("build", bin("next"), ["build"], { env: appEnv, output: { prefix: "[build]" } })));
  }

  say("Starting Redis, PostgreSQL and Kafka…");
  const [, postgres, kafka] = await Promise.all([
    startRedisServer({ port: redisPort, dataDir: path.join(dataDir, "redis"), output: { prefix: "[redis]" }, onStart: track }),
    startPostgresServer({ port: postgresPort, dataDir: path.join(dataDir, "postgres"), output: { prefix: "[postgres]" }, onStart: track }),
    KafkaCluster.start({
      // A cluster keeps its data apart from the single node's: each has its own cluster id and topics.
      home: path.join(dataDir, brokerCount > 1 ? "kafka-cluster" : "kafka"),
      nodes: kafkaNodes,
      output: (node) => ({ prefix: brokerCount > 1 ? `[kafka-${node.id}]` : "[kafka]" }),
      onStart: track,
    }),
  ]);
  const setupLog = createLogger("local", { LOG_LEVEL: "warn", LOG_FORMAT: "pretty" });
  const setupKafka = createKafka(kafka.brokers, "local-setup", setupLog);
  await ensureBoardTopics(setupKafka, config);
  await ensureReactionTopics(setupKafka, config);
  // The apps learn every node, so that they reach the cluster whichever node is down.
  const appsEnv = { ...appEnv, KAFKA_BROKERS: kafka.brokers.join(","), DATABASE_URL: postgres.url, AUTH_SECRET: config.AUTH_SECRET ?? localSecret(dataDir) };

  for (let i = 0; i < consumers; i++) {
    const name = consumers > 1 ? `consumer-${i + 1}` : "consumer";
    const env = { ...appsEnv, CONSUMER_METRICS_PORT: String(metricsPorts[i] ?? config.CONSUMER_METRICS_PORT) };
    track(startProcess(name, ...typescript("scripts/start-consumer.ts"), { cwd: PROJECT_ROOT, env, output: { prefix: `[${name}]` } }));
  }
  track(startProcess("processor", ...typescript("scripts/start-processor.ts"), { cwd: PROJECT_ROOT, env: appsEnv, output: { prefix: "[processor]" } }));
  const webs = webPorts.map((port) => {
    const name = balanced ? `web-${port}` : "web";
    // Behind nginx the client's address is the last X-Forwarded-For entry, which nginx writes.
    const env = { ...appsEnv, PORT: String(port), ...(balanced && { TRUSTED_PROXY_HOPS: "1" }) };
    const entry = typescript("src/server/main.ts", production ? [] : ["--dev"]);
    return track(startProcess(name, ...entry, { cwd: PROJECT_ROOT, env, output: { prefix: `[${name}]` } }));
  });
  await Promise.all(webs.map((web) => web.waitForLine(/web app listening/, "that it listens", 180_000)));
  // The first page is compiled on its first request in development: make that request now, not the user.
  await Promise.all(
    webPorts.map((port) =>
      waitFor(`the board on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, { timeoutMs: 180_000, intervalMs: 500 }),
    ),
  );
  if (balanced) {
    await startBalancer({ port: firstWebPort, upstreams: webPorts, home: path.join(dataDir, "nginx"), output: { prefix: "[balancer]" }, onStart: track });
  }
  (await startInspectorProxy(inspectorPort, firstWebPort)).unref();
  const prometheus =
    prometheusPort &&
    (await startPrometheus({
      port: prometheusPort,
      home: path.join(dataDir, "prometheus"),
      targets: { web: webPorts.map((port) => `127.0.0.1:${port}`), consumers: metricsPorts.map((port) => `127.0.0.1:${port}`) },
      output: { prefix: "[prometheus]" },
      onStart: track,
    }));
  for (const child of started) {
    void child.exited.then((code) => {
      if (stoppingSince === undefined && child.name !== "build") say(`${child.name} exited (${code}); the rest keeps running. Ctrl+C stops everything.`);
    });
  }

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const running = started.filter((child) => child.name !== "build");
  console.log(`
  Message board is up (${seconds} s)${production ? "" : ", in development mode"}, on Node ${process.versions.node}:
    Board     http://localhost:${firstWebPort}${balanced ? `   (nginx, balancing the instances on ${webPorts.map((port) => `:${port}`).join(", ")})` : ""}
    Inspector http://localhost:${inspectorPort}   (also http://localhost:${firstWebPort}/inspect)
    API       http://localhost:${firstWebPort}/api/messages   health: /api/health, /api/ready, metrics: /api/metrics
    Stream    http://localhost:${firstWebPort}/api/messages/stream
    Kafka     ${kafka.brokers.join(",")}   ${brokerCount > 1 ? `${brokerCount} nodes, 3 copies of each partition; ` : ""}topic ${config.KAFKA_TOPIC}, ${consumers} consumer(s) in group ${config.KAFKA_CONSUMER_GROUP}
    Redis     ${config.REDIS_URL}   try: redis-cli -p ${redisPort} LRANGE ${config.REDIS_MESSAGES_KEY} 0 -1
    Processor group ${config.PROCESSOR_GROUP}: reactions and activity, exactly once, into ${config.KAFKA_REACTION_COUNTS_TOPIC} and ${config.KAFKA_ACTIVITY_TOPIC}
    Postgres  ${postgres.url}   history, group ${config.HISTORY_CONSUMER_GROUP}; try: psql ${postgres.url} -c 'SELECT count(*) FROM messages'
    Metrics   http://localhost:${firstWebPort}/api/metrics${metricsPorts.length ? `, consumer(s) from http://localhost:${metricsPorts.join(", ")}/metrics` : ""}
${
  prometheus
    ? `    Prometheus http://localhost:${prometheusPort}   alerts: /alerts, e.g. rate(board_messages_accepted_total[1m]) in /graph
`
    : ""
}    Data      ${path.relative(PROJECT_ROOT, dataDir) || "."}/ (kept between runs)
    Processes ${running.map((child) => `${child.name} ${child.pid}`).join(", ")}
              (each is a process group: \`kill -9 -- -<pid>\` crashes one, as in the README's experiments)

  Press Ctrl+C to stop everything.
`);
}

let stoppingSince: number | undefined;
// A signal to the terminal's process group reaches npm, which passes it on, and this process itself: one
// Ctrl+C arrives twice within milliseconds. A second one is a person pressing it again.
const AGAIN_AFTER_MS = 1000;
/** Returns only once every process started has ended: a caller that waits for us finds the ports free. */
async function stopAll(exitCode: number) {
  stoppingSince = Date.now();
  say("Stopping…");
  // The web apps and consumers first, so that they can finish with Kafka and Redis still there.
  const infrastructure = started.filter((child) => child.name.startsWith("kafka") || child.name === "redis" || child.name === "postgres");
  await Promise.all(started.filter((child) => !infrastructure.includes(child)).map((child) => child.stop()));
  await Promise.all(infrastructure.map((child) => child.stop(30_000)));
  // And whatever a launch under way started meanwhile.
  await Promise.all(started.map((child) => child.stop()));
  record.remove();
  say(`Stopped. Data is kept in ${path.relative(PROJECT_ROOT, dataDir) || "."}/; \`npm run local\` picks it up again.`);
  process.exit(exitCode);
}

/** Ctrl+C again while stopping: what is left is killed at once. */
async function stopAtOnce() {
  if (Date.now() - (stoppingSince ?? 0) < AGAIN_AFTER_MS) return;
  say("Stopping everything at once.");
  await Promise.all(started.map((child) => child.kill()));
  record.remove();
  process.exit(130);
}

// The server `npm run local` starts: its own role and database, trusted from this machine only.
const LOCAL_DATABASE_URL = "postgres://board@127.0.0.1:5432/board";

/** The key that signs this machine's session cookies, made once and kept with the data: sessions survive restarts. */
function localSecret(dir: string): string {
  const file = path.join(dir, "auth-secret");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return readFileSync(file, "utf8").trim();
}

function positive(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new MissingPrerequisite(`${flag} takes a whole number of 1 or more, not "${value}".`);
  return number;
}

function localPort(hostPort: string, variable: string): number {
  const match = /^(127\.0\.0\.1|localhost):(\d+)$/.exec(hostPort);
  if (!match) throw new MissingPrerequisite(`${variable} must point at this machine (127.0.0.1:PORT) for npm run local; it is ${hostPort}.`);
  return Number(match[2]);
}

async function ensurePortsFree(ports: [number, string][]) {
  for (const [port, what] of ports) {
    if (!(await isPortFree(port))) {
      throw new MissingPrerequisite(
        `Port ${port} (${what}) is already in use: stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port in .env.local.`,
      );
    }
  }
}

// A closing terminal sends SIGHUP; a service manager, SIGTERM; Ctrl+C, SIGINT. Each stops everything, even
// when nobody reads our output any more (a closed terminal, a parent that died): writes fail, the stop goes on.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void (stoppingSince === undefined ? stopAll(0) : stopAtOnce()));
main().catch(async (error: unknown) => {
  // A launch cut short by a stop fails on what was stopped under it: nothing to report.
  if (stoppingSince !== undefined) return;
  const known = error instanceof MissingPrerequisite || error instanceof ConfigError;
  console.error(`\n[local] ${known || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : error.stack}\n`);
  await stopAll(1);
});
