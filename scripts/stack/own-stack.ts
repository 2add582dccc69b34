import path from "node:path";
import { ensureKafkaJars, KafkaCluster, nodesOn } from "./kafka-broker";
import { startPostgresServer } from "./postgres-server";
import { ensureCommands, ensureJava17, JAVA, MAVEN, POSTGRES, REDIS, type Requirement } from "./prerequisites";
import type { ManagedProcess } from "./processes";
import { startRedisServer } from "./redis-server";
import { onFreePorts } from "./wait";

export type OwnStack = { brokers: string[]; redisUrl: string; databaseUrl: string; processes: ManagedProcess[] };

/** Kafka nodes of their own on free ports, with data in `home` and each node's log beside it. */
export function startOwnKafka(home: string, nodes: number): Promise<KafkaCluster> {
  return onFreePorts(2 * nodes, (ports) =>
    KafkaCluster.start({ home, nodes: nodesOn(ports), output: (node) => ({ file: `${home}${nodes > 1 ? `-${node.id}` : ""}.log` }) }),
  );
}

/**
 * A Kafka broker, a redis-server and a PostgreSQL server of their own, on free ports, with data and logs in
 * `work`: what the tests and the benchmark run against, so that a running `npm run local` is left alone.
 */
export async function startOwnStack(work: string, say: (line: string) => void, extra: Requirement[] = []): Promise<OwnStack> {
  ensureCommands([JAVA, MAVEN, REDIS, POSTGRES, ...extra], say);
  ensureJava17();
  ensureKafkaJars(say);
  say(`Starting Kafka, Redis and PostgreSQL (logs in ${work})…`);
  const [redis, postgres, kafka] = await Promise.all([
    onFreePorts(1, ([port = 0]) => startRedisServer({ port, dataDir: path.join(work, "redis"), output: { file: path.join(work, "redis.log") } })),
    onFreePorts(1, ([port = 0]) => startPostgresServer({ port, dataDir: path.join(work, "postgres"), output: { file: path.join(work, "postgres.log") } })),
    startOwnKafka(path.join(work, "kafka"), 1),
  ]);
  return { brokers: kafka.brokers, redisUrl: redis.url, databaseUrl: postgres.url, processes: [redis, ...kafka.processes, postgres] };
}
