import "server-only";
import { describeGroup, type GroupView } from "../kafka/cluster-view";
import { errorFields } from "../log";
import { services } from "../web/services";

const CHECK_TIMEOUT_MS = 2000;

/** The process is up and answering; nothing else is asked, so a restart is never triggered by a dependency. */
export function health(): Response {
  const { closing } = services();
  return Response.json(
    { status: closing ? "shutting-down" : "ok", uptimeSeconds: Math.round(process.uptime()) },
    { status: closing ? 503 : 200, headers: { "Cache-Control": "no-store" } },
  );
}

type Check = { ok: true; [detail: string]: unknown } | { ok: false; error: string };

/**
 * Whether this instance should get traffic: Kafka (to take posts) and Redis (for history and live updates)
 * reachable, answered 200; otherwise 503. The consumer group is reported with its lag: without a consumer,
 * posts are still accepted and wait in Kafka, so the instance stays ready and says it is degraded.
 */
export async function readiness(): Promise<Response> {
  const { config, redis, admin, closing } = services();
  const [kafka, store, consumers] = await Promise.all([
    check(async () => ({ brokers: (await (await admin()).describeCluster()).brokers.length })),
    check(async () => ({ reply: await redis.ping() })),
    check(async () => consumerSummary(await describeGroup(await admin(), config.KAFKA_CONSUMER_GROUP, config.KAFKA_TOPIC))),
  ]);
  const ready = !closing && kafka.ok && store.ok;
  const degraded = ready && (!consumers.ok || consumers.members === 0);
  return Response.json(
    { status: closing ? "shutting-down" : !ready ? "unavailable" : degraded ? "degraded" : "ready", checks: { kafka, redis: store, consumers } },
    { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}

export async function metricsText(): Promise<Response> {
  const { registry } = services().metrics;
  return new Response(await registry.metrics(), { headers: { "Content-Type": registry.contentType, "Cache-Control": "no-store" } });
}

function consumerSummary(group: GroupView) {
  return {
    group: group.groupId,
    state: group.state,
    members: group.members.length,
    lag: group.totalLag,
    partitions: group.lag.map(({ partition, lag }) => ({ partition, lag })),
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
