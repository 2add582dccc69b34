import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { KAFKA_LIBS, PROJECT_ROOT } from "./paths";
import { MissingPrerequisite } from "./prerequisites";
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

/** One KRaft node: its id and the ports of its client and controller listeners. */
export type KafkaNodeSpec = { id: number; port: number; controllerPort: number };

export type ClusterOptions = {
  /** Holds the nodes' settings, the cluster id and the data; kept between runs. */
  home: string;
  /** One node, or three or more: each is broker and controller, and the controllers form the quorum. */
  nodes: KafkaNodeSpec[];
  output: (node: KafkaNodeSpec) => Output;
  heapMb?: number;
  onStart?: Started;
};

/** One node, or three or more: two controllers cannot elect a leader when one of them fails. */
export function checkNodeCount(count: number): void {
  if (count === 2) throw new MissingPrerequisite("Kafka runs as 1 node or 3 (or more): two controllers cannot elect a leader when one fails.");
}

/** Nodes 1, 2, … on pairs of the ports given: client, controller, client, controller… */
export function nodesOn(ports: number[]): KafkaNodeSpec[] {
  return Array.from({ length: Math.floor(ports.length / 2) }, (_, i) => ({ id: i + 1, port: ports[2 * i] ?? 0, controllerPort: ports[2 * i + 1] ?? 0 }));
}

/** `count` nodes on consecutive ports from `firstPort`: 9092/9093, 9094/9095, 9096/9097. */
export const nodesFrom = (firstPort: number, count: number) => nodesOn(Array.from({ length: 2 * count }, (_, i) => firstPort + i));

/**
 * A KRaft cluster of this machine's own: formats storage on first use, starts every node, and resolves once
 * each is a broker the others know. Nodes can be stopped, killed and started again, as the fault tests do.
 */
export class KafkaCluster {
  readonly brokers: string[];
  private readonly running = new Map<number, ManagedProcess>();

  private constructor(private readonly options: ClusterOptions) {
    this.brokers = options.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  static async start(options: ClusterOptions): Promise<KafkaCluster> {
    checkNodeCount(options.nodes.length);
    const cluster = new KafkaCluster(options);
    try {
      cluster.format();
      for (const node of options.nodes) cluster.launch(node);
      await cluster.waitForNodes(options.nodes.map((node) => node.id));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get processes(): ManagedProcess[] {
    return [...this.running.values()];
  }

  /** The ids of the nodes stopped or killed and not started again. */
  get stoppedNodes(): number[] {
    return this.options.nodes.map((node) => node.id).filter((id) => !this.running.has(id));
  }

  /** Starts a node that was stopped, and resolves once the cluster counts it as a broker again. */
  async startNode(id: number): Promise<void> {
    const node = this.options.nodes.find((spec) => spec.id === id);
    if (!node) throw new Error(`no Kafka node ${id}`);
    this.launch(node);
    await this.waitForNodes([id]);
  }

  /** A clean stop (SIGTERM: the node hands its partitions over first), or a crash (`kill`: SIGKILL). */
  async stopNode(id: number, how: "stop" | "kill" = "stop"): Promise<void> {
    const node = this.running.get(id);
    if (!node) throw new Error(`Kafka node ${id} is not running`);
    this.running.delete(id);
    await (how === "kill" ? node.kill() : node.stop(30_000));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stopNode(id)));
  }

  private get single(): boolean {
    return this.options.nodes.length === 1;
  }

  private homeOf(node: KafkaNodeSpec): string {
    // One node keeps the layout it has always had, so that its data is found again.
    return this.single ? this.options.home : path.join(this.options.home, `node-${node.id}`);
  }

  private format(): void {
    const classpath = `${KAFKA_LIBS}/*`;
    const idFile = path.join(this.options.home, "cluster-id");
    mkdirSync(this.options.home, { recursive: true });
    for (const node of this.options.nodes) {
      const dataDir = path.join(this.homeOf(node), "data");
      mkdirSync(dataDir, { recursive: true });
      const properties = path.join(this.homeOf(node), "server.properties");
      writeFileSync(properties, serverProperties(node, this.options.nodes, dataDir));
      if (existsSync(path.join(dataDir, "meta.properties"))) continue;
      if (!existsSync(idFile)) writeFileSync(idFile, java(classpath, ["kafka.tools.StorageTool", "random-uuid"]).trim());
      const clusterId = readFileSync(idFile, "utf8").trim();
      // A single node bootstraps its quorum alone (--standalone); several name theirs in controller.quorum.voters.
      const quorum = this.single ? ["--standalone"] : [];
      java(classpath, ["kafka.tools.StorageTool", "format", "-t", clusterId, "-c", properties, ...quorum, "--ignore-formatted"]);
    }
  }

  private launch(node: KafkaNodeSpec): ManagedProcess {
    const heap = `${this.options.heapMb ?? 512}m`;
    const properties = path.join(this.homeOf(node), "server.properties");
    const name = this.single ? "kafka" : `kafka-${node.id}`;
    const child = startProcess(
      name,
      "java",
      [`-Xms${heap}`, `-Xmx${heap}`, `-Dlog4j2.configurationFile=${LOG_CONFIG}`, "-cp", `${KAFKA_LIBS}/*`, "kafka.Kafka", properties],
      { output: this.options.output(node) },
    );
    this.running.set(node.id, child);
    this.options.onStart?.(child);
    return child;
  }

  private async waitForNodes(ids: number[]): Promise<void> {
    const what = this.single ? `Kafka on port ${this.options.nodes[0]?.port}` : `Kafka nodes ${ids.join(", ")} in the cluster`;
    await waitFor(
      what,
      async () => {
        for (const child of this.running.values()) await exitedEarly(child);
        // Each node is asked itself: another one's metadata may still list a node that died.
        for (const node of this.options.nodes.filter((spec) => ids.includes(spec.id))) {
          const known = await brokerIds(`127.0.0.1:${node.port}`);
          if (!ids.every((id) => known.includes(id))) return false;
        }
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }
}

/** The ids of the brokers the metadata of the node at `address` lists, which is when clients can use them. */
async function brokerIds(address: string): Promise<number[]> {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 500 }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.map((broker) => broker.nodeId);
  } finally {
    await admin.disconnect();
  }
}

function java(classpath: string, args: string[]): string {
  const result = spawnSync("java", ["-cp", classpath, ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`java ${args.slice(0, 2).join(" ")} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * Every node is both broker and controller. One node runs with replication 1, as its defaults assume three
 * nodes and consumer groups would find no coordinator. Three keep three copies of everything and accept a
 * write once two have it, so one node may fail without losing an acknowledged record or stopping posts;
 * no replica that missed writes is ever made leader.
 */
export function serverProperties(node: KafkaNodeSpec, nodes: KafkaNodeSpec[], dataDir: string): string {
  const replicas = Math.min(3, nodes.length);
  const minInSync = replicas > 1 ? 2 : 1;
  const quorum =
    nodes.length === 1
      ? [`controller.quorum.bootstrap.servers=127.0.0.1:${node.controllerPort}`]
      : [
          `controller.quorum.voters=${nodes.map((voter) => `${voter.id}@127.0.0.1:${voter.controllerPort}`).join(",")}`,
          // A node that stops heartbeating is fenced, and its partitions get new leaders, after 6 s (default 9).
          "broker.heartbeat.interval.ms=1000",
          "broker.session.timeout.ms=6000",
        ];
  return `${[
    "process.roles=broker,controller",
    `node.id=${node.id}`,
    ...quorum,
    "controller.listener.names=CONTROLLER",
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=3",
    "auto.create.topics.enable=false",
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minInSync}`,
    "unclean.leader.election.enable=false",
    `offsets.topic.replication.factor=${replicas}`,
    "offsets.topic.num.partitions=1",
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInSync}`,
    `share.coordinator.state.topic.replication.factor=${replicas}`,
    `share.coordinator.state.topic.min.isr=${minInSync}`,
    "group.initial.rebalance.delay.ms=0",
    // A deleted topic's files are removed a second later, not a minute: an erasure (npm run erase) leaves
    // no copy of the old log on disk for long.
    "log.segment.delete.delay.ms=1000",
  ].join("\n")}\n`;
}
