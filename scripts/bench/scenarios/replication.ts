import path from "node:path";
import { createKafka } from "../../../src/lib/kafka/client";
import { closedLoop, figure } from "../measure";
import { offeredLoad } from "../offered-load";
import { startOwnKafka } from "../../stack/own-stack";
import { row, results, repeat, sum, rows } from "../report";
import type { BenchContext } from "../context";

export async function replication(ctx: BenchContext): Promise<void> {
  const { work, stack, kafka, fresh, web, consumerProcess, stop, warmUp, quiet, running, say, size } = ctx;
  // 5. The same ingest and end to end on three nodes with three copies of each partition (a write
  // waits for two), beside the one broker with one copy, in this run.
  // The tests hand in the cluster they started already, as they hand in the one broker.
  const given = process.env.TEST_CLUSTER_BROKERS?.split(",");
  say(given ? "Replication: on the three Kafka nodes given…" : "Replication: starting three Kafka nodes…");
  const cluster = given ? undefined : await startOwnKafka(path.join(work, "cluster"), 3);
  running.push(...(cluster?.processes ?? []));
  const brokers = given ?? cluster?.brokers ?? [];
  const three = { brokers, kafka: createKafka(brokers, "bench", quiet), copies: 3 };
  await warmUp(three);
  const one = { brokers: stack.brokers, kafka, copies: 1 };
  const replication: Record<string, unknown> = {};
  for (const clients of [1, size.concurrency.at(-1) ?? 1]) {
    const measure = async (target: typeof one) => {
      const board = await fresh(target);
      const server = await web(board.env, `replication-ingest-${target.copies}-${clients}`);
      await closedLoop(server.url, clients, Math.min(500, size.ingestMs));
      const runs = await repeat(size.runs, () => closedLoop(server.url, clients, size.ingestMs));
      await stop(server);
      return { perSecond: figure(runs.map((r) => r.perSecond)), p99: figure(runs.map((r) => r.p99)) };
    };
    const [withThree, withOne] = [await measure(three), await measure(one)];
    replication[`ingest-${clients}`] = { threeCopies: withThree, oneCopy: withOne };
    row(`ingest, ${clients} client(s), 3 copies vs 1`, withThree.perSecond, withOne.perSecond, "msg/s");
    row(`  POST latency p99, ${clients}, 3 copies vs 1`, withThree.p99, withOne.p99, "ms", true);
  }
  const rate = size.rates.at(-1) ?? 100;
  const endToEnd = async (target: typeof one) => {
    const board = await fresh(target);
    const consumer = await consumerProcess(board.env, `replication-consumer-${target.copies}`);
    const server = await web(board.env, `replication-web-${target.copies}`);
    await offeredLoad(server.url, { rate: Math.min(rate, 100), ms: 500, tag: "warm-up" });
    const runs = await repeat(size.runs, (run) => offeredLoad(server.url, { rate, ms: size.rateMs, tag: `${run}` }));
    await stop(server, consumer);
    return {
      p50: figure(runs.map((r) => r.p50)),
      p99: figure(runs.map((r) => r.p99)),
      arrived: sum(runs.map((r) => r.arrived)),
      sent: sum(runs.map((r) => r.sent)),
    };
  };
  const [e2eThree, e2eOne] = [await endToEnd(three), await endToEnd(one)];
  replication[`end-to-end-${rate}`] = { threeCopies: e2eThree, oneCopy: e2eOne };
  row(`end to end p50 at ${rate}/s, 3 copies vs 1`, e2eThree.p50, e2eOne.p50, "ms", true);
  row(`end to end p99 at ${rate}/s, 3 copies vs 1`, e2eThree.p99, e2eOne.p99, "ms", true);
  rows.push([`  arrived at ${rate}/s`, `${e2eThree.arrived} of ${e2eThree.sent}`, `${e2eOne.arrived} of ${e2eOne.sent}`, ""]);
  await cluster?.stop();
  results.replication = replication;
}
