import path from "node:path";
import { ensureKafkaJars, KafkaCluster, nodesOn } from "./kafka-broker";
import { ensureCommands, ensureJava17, JAVA, MAVEN, REDIS, type Requirement } from "./prerequisites";
import type { ManagedProcess } from "./processes";
import { startRedisServer } from "./redis-server";
import { onFreePorts } from "./wait";

export type OwnStack = { brokers: string[]; redisUrl: string; processes: ManagedProcess[] };

/** Kafka nodes of their own on free ports, with data in `home` and each node's log beside it. */
export function startOwnKafka(home: string, nodes: number): Promise<KafkaCluster> {
  return onFreePorts(2 * nodes, (ports) =>
    KafkaCluster.start({ home, nodes: nodesOn(ports), output: (node) => ({ file: `${home}${nodes > 1 ? `-${node.id}` : ""}.log` }) }),
  );
}

/**
 * A Kafka broker and a redis-server of their own, on free ports, with data and logs in `work`: what the
 * tests and the benchmark run against, so that a running `npm run local` is left alone.
 */
export async function startOwnStack(work: string, say: (line: string) => void, extra: Requirement[] = []): Promise<OwnStack> {
  ensureCommands([JAVA, MAVEN, REDIS, ...extra], say);
  ensureJava17();
  ensureKafkaJars(say);
  say(`Starting Kafka and Redis (logs in ${work})…`);
  const [redis, kafka] = await Promise.all([
    onFreePorts(1, ([port = 0]) => startRedisServer({ port, dataDir: path.join(work, "redis"), output: { file: path.join(work, "redis.log") } })),
    startOwnKafka(path.join(work, "kafka"), 1),
  ]);
  return { brokers: kafka.brokers, redisUrl: redis.url, processes: [redis, ...kafka.processes] };
}
