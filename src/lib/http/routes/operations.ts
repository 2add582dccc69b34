import type { Admin } from "kafkajs";
import type { Redis } from "ioredis";
import { describeGroup, type GroupView } from "../../kafka/cluster-view";
import { errorFields } from "../../log";
import type { WebMetrics } from "../../metrics/web-metrics";
import { jsonReply, type Reply } from "../call";

export type OperationsDeps = {
  lifecycle: { readonly closing: boolean };
  admin(): Promise<Admin>;
  redis: Pick<Redis, "ping">;
  metrics: Pick<WebMetrics, "registry">;
  group: { groupId: string; topic: string };
};

const CHECK_TIMEOUT_MS = 2000;
const NO_STORE = { "Cache-Control": "no-store" };

type Check = { ok: true; [detail: string]: unknown } | { ok: false; error: string };

export function operationsRoutes({ lifecycle, admin, redis, metrics, group }: OperationsDeps) {
  return {
    /** The process is up and answering; nothing else is asked, so a restart is never triggered by a dependency. */
    health: async (): Promise<Reply> => {
      const { closing } = lifecycle;
      return jsonReply(closing ? 503 : 200, { status: closing ? "shutting-down" : "ok", uptimeSeconds: Math.round(process.uptime()) }, NO_STORE);
    },

    /**
     * Whether this instance should get traffic: Kafka (to take posts) and Redis (for history and live
     * updates) reachable, answered 200; otherwise 503. The consumer group is reported with its lag: without
     * a consumer, posts are still accepted and wait in Kafka, so the instance stays ready and says it is
     * degraded.
     */
    ready: async (): Promise<Reply> => {
      const [kafka, store, consumers] = await Promise.all([
        check(async () => ({ brokers: (await (await admin()).describeCluster()).brokers.length })),
        check(async () => ({ reply: await redis.ping() })),
        check(async () => consumerSummary(await describeGroup(await admin(), group.groupId, group.topic))),
      ]);
      const { closing } = lifecycle;
      const ready = !closing && kafka.ok && store.ok;
      const degraded = ready && (!consumers.ok || consumers.members === 0);
      const status = closing ? "shutting-down" : !ready ? "unavailable" : degraded ? "degraded" : "ready";
      return jsonReply(ready ? 200 : 503, { status, checks: { kafka, redis: store, consumers } }, NO_STORE);
    },

    metrics: async (): Promise<Reply> => ({
      status: 200,
      headers: { "Content-Type": metrics.registry.contentType, ...NO_STORE },
      body: await metrics.registry.metrics(),
    }),
  };
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

async function check(probe: () => Promise<Record<string, unknown>>): Promise<Check> {
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
