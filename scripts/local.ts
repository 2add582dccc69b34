// `npm run local`: Kafka (KRaft), Redis, the consumer and the web app on this machine, without Docker.
// Options: --consumers N  --web N (instances on consecutive ports from --port)  --port P  --prod
import path from "node:path";
import { parseArgs } from "node:util";
import nextEnv from "@next/env";
import { ConfigError, parseConfig } from "../src/lib/config";
import { createKafka } from "../src/lib/kafka/client";
import { ensureBoardTopics } from "../src/lib/kafka/topics";
import { startInspectorProxy } from "./stack/inspector-proxy";
import { ensureKafkaJars, startKafkaBroker } from "./stack/kafka-broker";
import { LOCAL_DIR, PROJECT_ROOT } from "./stack/paths";
import { ensureCommands, ensureJava17, JAVA, MAVEN, MissingPrerequisite, REDIS } from "./stack/prerequisites";
import { runToEnd, startProcess, type ManagedProcess } from "./stack/processes";
import { startRedisServer } from "./stack/redis-server";
import { isPortFree, waitFor } from "./stack/wait";

const say = (line: string) => console.log(`[local] ${line}`);
const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules", ".bin", name);
const started: ManagedProcess[] = [];
const INSPECTOR_PORT = 8080;
const appEnv = { NEXT_TELEMETRY_DISABLED: "1", LOG_FORMAT: process.env.LOG_FORMAT || "pretty" };

async function main() {
  const startedAt = Date.now();
  const { values } = parseArgs({
    options: {
      consumers: { type: "string", default: "1" },
      web: { type: "string", default: "1" },
      port: { type: "string", default: "3000" },
      prod: { type: "boolean", default: false },
    },
  });
  const consumers = positive(values.consumers, "--consumers");
  const webCount = positive(values.web, "--web");
  const firstWebPort = positive(values.port, "--port");
  // `next dev` allows one server per project directory, so several instances run the production build.
  const production = values.prod || webCount > 1;

  nextEnv.loadEnvConfig(PROJECT_ROOT, !production);
  const config = parseConfig(process.env);
  const kafkaPort = localPort(config.KAFKA_BROKERS[0] ?? "", "KAFKA_BROKERS");
  const redisPort = localPort(new URL(config.REDIS_URL).host, "REDIS_URL");
  const webPorts = Array.from({ length: webCount }, (_, i) => firstWebPort + i);

  ensureCommands([JAVA, MAVEN, REDIS], say);
  ensureJava17();
  await ensurePortsFree([
    [kafkaPort, "Kafka"],
    [kafkaPort + 1, "Kafka's controller"],
    [redisPort, "Redis"],
    ...webPorts.map((port): [number, string] => [port, "the web app"]),
    [INSPECTOR_PORT, "the Kafka inspector"],
  ]);
  ensureKafkaJars(say);
  if (production) {
    say("Building the web app for production…");
    await runToEnd(startProcess("build", bin("next"), ["build"], { env: appEnv, output: { prefix: "[build]" } }));
  }

  say("Starting Redis and Kafka…");
  const redisDir = path.join(LOCAL_DIR, "redis");
  const [, broker] = await Promise.all([
    track(startRedisServer({ port: redisPort, dataDir: redisDir, output: { prefix: "[redis]" } })),
    track(startKafkaBroker({ home: path.join(LOCAL_DIR, "kafka"), port: kafkaPort, controllerPort: kafkaPort + 1, output: { prefix: "[kafka]" } })),
  ]);
  await ensureBoardTopics(createKafka(broker.brokers, "local-setup"), config);

  for (let i = 1; i <= consumers; i++) {
    const name = consumers > 1 ? `consumer-${i}` : "consumer";
    const env = { ...appEnv, CONSUMER_METRICS_PORT: String(config.CONSUMER_METRICS_PORT && config.CONSUMER_METRICS_PORT + i - 1) };
    track(startProcess(name, bin("tsx"), ["scripts/start-consumer.ts"], { cwd: PROJECT_ROOT, env, output: { prefix: `[${name}]` } }));
  }
  for (const port of webPorts) {
    const name = webCount > 1 ? `web-${port}` : "web";
    const args = production ? ["start", "-p", String(port)] : ["dev", "-p", String(port)];
    track(startProcess(name, bin("next"), args, { cwd: PROJECT_ROOT, env: appEnv, output: { prefix: `[${name}]` } }));
  }
  await Promise.all(
    webPorts.map((port) =>
      waitFor(`the web app on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, { timeoutMs: 180_000, intervalMs: 500 }),
    ),
  );
  (await startInspectorProxy(INSPECTOR_PORT, firstWebPort)).unref();
  for (const child of started) {
    void child.exited.then((code) => {
      if (!stopping) say(`${child.name} exited (${code}); the rest keeps running. Ctrl+C stops everything.`);
    });
  }

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`
  Message board is up (${seconds} s)${production ? "" : ", in development mode"}:
${webPorts.map((port) => `    Board     http://localhost:${port}`).join("\n")}
    Inspector http://localhost:${INSPECTOR_PORT}   (also http://localhost:${firstWebPort}/inspect)
    API       http://localhost:${firstWebPort}/api/messages   health: /api/health, /api/ready, metrics: /api/metrics
    Stream    http://localhost:${firstWebPort}/api/messages/stream
    Kafka     ${broker.brokers.join(",")}   topic ${config.KAFKA_TOPIC}, ${consumers} consumer(s) in group ${config.KAFKA_CONSUMER_GROUP}
    Redis     ${config.REDIS_URL}   try: redis-cli -p ${redisPort} LRANGE ${config.REDIS_MESSAGES_KEY} 0 -1
    Metrics   http://localhost:${firstWebPort}/api/metrics${config.CONSUMER_METRICS_PORT ? `, consumer(s) from http://localhost:${config.CONSUMER_METRICS_PORT}/metrics` : ""}
    Data      ${path.relative(PROJECT_ROOT, LOCAL_DIR)}/ (kept between runs)
    Processes ${started.map((child) => `${child.name} ${child.pid}`).join(", ")}
              (each is a process group: \`kill -9 -- -<pid>\` crashes one, as in the README's experiments)

  Press Ctrl+C to stop everything.
`);
}

function track<T extends ManagedProcess>(process: T | Promise<T>): Promise<T> {
  return Promise.resolve(process).then((child) => {
    started.push(child);
    return child;
  });
}

let stopping = false;
async function stopAll(exitCode: number) {
  if (stopping) return;
  stopping = true;
  say("Stopping…");
  // Reverse order: the web app and consumers first, so they can finish with Kafka and Redis still there.
  const apps = started.filter((child) => child.name !== "kafka" && child.name !== "redis");
  await Promise.all(apps.map((child) => child.stop()));
  await Promise.all(started.filter((child) => !apps.includes(child)).map((child) => child.stop(30_000)));
  say("Stopped. Data is kept in .local/; `npm run local` picks it up again.");
  process.exit(exitCode);
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

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
main().catch(async (error: unknown) => {
  const known = error instanceof MissingPrerequisite || error instanceof ConfigError;
  console.error(`\n[local] ${known || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : error.stack}\n`);
  await stopAll(1);
});
