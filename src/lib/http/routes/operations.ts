import type { Admin } from "kafkajs";
import type { Redis } from "ioredis";
import { describeGroup, type ClusterView, type GroupView } from "../../kafka/cluster-view";
import { errorFields } from "../../log";
import type { WebMetrics } from "../../metrics/web-metrics";
import { jsonReply, type Reply } from "../call";

export type OperationsDeps = {
  lifecycle: { readonly closing: boolean };
  admin(): Promise<Admin>;
  /** The Kafka nodes, which of them are up, and partitions short of replicas. */
  cluster(): Promise<ClusterView>;
  redis: Pick<Redis, "ping">;
  /** A sentence for each view being rebuilt from a new log. */
  rebuilding(): Promise<string[]>;
  metrics: Pick<WebMetrics, "registry">;
  group: { groupId: string; topic: string };
  /** Lasting history, when the board keeps it: its database, and the group that writes it. */
  lastingHistory?: { ping(): Promise<unknown>; groupId: string };
};

const CHECK_TIMEOUT_MS = 2000;
const NO_STORE = { "Cache-Control": "no-store" };

type Check<T> = ({ ok: true } & T) | { ok: false; error: string };

export function operationsRoutes({ lifecycle, admin, cluster, redis, rebuilding, metrics, group, lastingHistory: history }: OperationsDeps) {
  return {
    /** The process is up and answering; nothing else is asked, so a restart is never triggered by a dependency. */
    health: async (): Promise<Reply> => {
      const { closing } = lifecycle;
      return jsonReply(closing ? 503 : 200, { status: closing ? "shutting-down" : "ok", uptimeSeconds: Math.round(process.uptime()) }, NO_STORE);
    },

    /**
     * Whether this instance should get traffic: Kafka (to take posts) and Redis (for history and live
     * updates) reachable, answered 200; otherwise 503. What still works but should not last is answered
     * 200 with status "degraded" and a sentence each in `warnings`: a Kafka node down or partitions short
     * of replicas (one more failure and posts stop), no consumer in the group (posts wait in Kafka),
     * PostgreSQL unreachable or nobody writing history (older messages and search are down or behind), a
     * view being rebuilt from a new log (it shows less than Kafka holds meanwhile).
     */
    ready: async (): Promise<Reply> => {
      const [kafka, store, consumers, database, historians] = await Promise.all([
        check(async () => kafkaSummary(await cluster())),
        check(async () => ({ reply: await redis.ping(), rebuilding: await rebuilding() })),
        check(async () => consumerSummary(await describeGroup(await admin(), group.groupId, group.topic))),
        history && check(async () => ({ reply: await history.ping() })),
        history && check(async () => consumerSummary(await describeGroup(await admin(), history.groupId, group.topic))),
      ]);
      const { closing } = lifecycle;
      const ready = !closing && kafka.ok && store.ok;
      const warnings = ready
        ? [
            ...(kafka.ok ? kafka.warnings : []),
            ...(store.ok ? store.rebuilding : []),
            ...consumerWarnings(consumers, group.groupId),
            ...(database && !database.ok ? [`PostgreSQL is unreachable (${database.error}): older messages and search are down until it is back.`] : []),
            ...(historians?.ok && historians.members === 0 ? [`No consumer is in the group ${historians.group}: history falls behind the board.`] : []),
          ]
        : [];
      const status = closing ? "shutting-down" : !ready ? "unavailable" : warnings.length > 0 ? "degraded" : "ready";
      const checks = { kafka, redis: store, consumers, ...(database && { postgres: database, history: historians }) };
      return jsonReply(ready ? 200 : 503, { status, warnings, checks }, NO_STORE);
    },

    metrics: async (): Promise<Reply> => ({
      status: 200,
      headers: { "Content-Type": metrics.registry.contentType, ...NO_STORE },
      body: await metrics.registry.metrics(),
    }),
  };
}

function kafkaSummary(view: ClusterView) {
  const down = view.nodes.filter((node) => !node.up).map((node) => node.id);
  const warnings = [
    ...down.map((id) => `Kafka node ${id} is down.`),
    ...(view.underReplicated > 0 ? [`${view.underReplicated} partition(s) have fewer in-sync replicas than replicas.`] : []),
  ];
  return { brokers: view.nodes.length - down.length, down, controller: view.controller, underReplicated: view.underReplicated, warnings };
}

function consumerWarnings(consumers: Check<ReturnType<typeof consumerSummary>>, groupId: string): string[] {
  if (!consumers.ok) return [`The consumer group ${groupId} cannot be described: ${consumers.error}`];
  return consumers.members === 0 ? [`No consumer is in the group ${groupId}: posts wait in Kafka and are not shown.`] : [];
}

function consumerSummary(view: GroupView) {
  return {
    group: view.groupId,
    state: view.state,
    members: view.members.length,
    lag: view.totalLag,
    partitions: view.lag.map(({ partition, lag }) => ({ partition, lag })),
  };
}

async function check<T extends object>(probe: () => Promise<T>): Promise<Check<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    return { ok: true, ...(await Promise.race([probe(), timeout])) };
  } catch (error) {
    return { ok: false, error: String(errorFields(error).error) };
  } finally {
    clearTimeout(timer);
  }
}
