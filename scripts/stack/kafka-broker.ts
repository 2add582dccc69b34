import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { KAFKA_LIBS, PROJECT_ROOT } from "./paths";
import { startProcess, type ManagedProcess, type Output, type Started } from "./processes";
import { exitedEarly, waitFor } from "./wait";

const POM = path.join(PROJECT_ROOT, "scripts", "kafka", "pom.xml");
const LOG_CONFIG = path.join(PROJECT_ROOT, "scripts", "kafka", "log4j2.properties");
const STAMP = path.join(KAFKA_LIBS, ".pom-sha1");

/**
 * Downloads the broker's jars (Kafka and a logging backend, per scripts/kafka/pom.xml) once, and again only
 * when the pom changes. Returns the directory that holds them.
 */
export function ensureKafkaJars(log: (line: string) => void): string {
  const pomHash = createHash("sha1").update(readFileSync(POM)).digest("hex");
  if (existsSync(STAMP) && readFileSync(STAMP, "utf8") === pomHash) return KAFKA_LIBS;
  log("Downloading Apache Kafka from Maven Central (first run only)…");
  const staging = `${KAFKA_LIBS}.download`;
  rmSync(staging, { recursive: true, force: true });
  const result = spawnSync("mvn", ["-q", "-B", "-f", POM, "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${staging}`], {
    stdio: "inherit",
  });
  if (result.status !== 0 || !existsSync(staging) || !readdirSync(staging).some((jar) => jar.startsWith("kafka_"))) {
    throw new Error(`Maven could not download Kafka (exit ${result.status}): check network access to Maven Central and run again.`);
  }
  rmSync(KAFKA_LIBS, { recursive: true, force: true });
  // Jars appear under their final name only when complete, so an interrupted download is redone.
  renameSync(staging, KAFKA_LIBS);
  writeFileSync(STAMP, pomHash);
  return KAFKA_LIBS;
}

export type BrokerOptions = {
  /** Holds the broker's settings, its cluster id and its data; kept between runs. */
  home: string;
  port: number;
  controllerPort: number;
  output: Output;
  heapMb?: number;
  onStart?: Started;
};

export type Broker = ManagedProcess & { brokers: string[]; controllerPort: number };

/** Formats KRaft storage on first use, starts one broker-and-controller, and waits until it answers. */
export async function startKafkaBroker(options: BrokerOptions): Promise<Broker> {
  const { home, port, controllerPort } = options;
  const dataDir = path.join(home, "data");
  mkdirSync(dataDir, { recursive: true });
  const properties = path.join(home, "server.properties");
  writeFileSync(properties, serverProperties(dataDir, port, controllerPort));
  const classpath = `${KAFKA_LIBS}/*`;

  if (!existsSync(path.join(dataDir, "meta.properties"))) {
    const clusterId = java(classpath, ["kafka.tools.StorageTool", "random-uuid"]).trim();
    java(classpath, ["kafka.tools.StorageTool", "format", "-t", clusterId, "-c", properties, "--standalone", "--ignore-formatted"]);
  }

  const heap = `${options.heapMb ?? 512}m`;
  const broker = startProcess(
    "kafka",
    "java",
    [`-Xms${heap}`, `-Xmx${heap}`, `-Dlog4j2.configurationFile=${LOG_CONFIG}`, "-cp", classpath, "kafka.Kafka", properties],
    { output: options.output },
  );
  options.onStart?.(broker);
  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitFor(`Kafka on port ${port}`, async () => (await exitedEarly(broker)) || (await answers(brokers)), {
      timeoutMs: 90_000,
      intervalMs: 250,
    });
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return { ...broker, brokers, controllerPort };
}

/** True once the broker serves metadata requests, which is when clients can use it. */
async function answers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 500 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

function java(classpath: string, args: string[]): string {
  const result = spawnSync("java", ["-cp", classpath, ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`java ${args.slice(0, 2).join(" ")} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

// One node that is both broker and controller. The replication settings are 1 because there is one node;
// their defaults assume three, and consumer groups fail to find a coordinator without them.
function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return `${[
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    "controller.listener.names=CONTROLLER",
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=3",
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
  ].join("\n")}\n`;
}
