import { fork } from "node:child_process";
import { z } from "zod";
import { post, quantile } from "./measure";

// From the POST sent to: accepted by the web app, appended to the topic, read by the consumer, stored in
// Redis, received by the viewer.
export const STAGES = ["accept", "append", "consume", "store", "deliver"] as const;
export type Stage = (typeof STAGES)[number];

export type OfferedLoad = {
  /** Posts sent, at the offered rate, and answered 201. */
  sent: number;
  accepted: number;
  /** Accepted posts per second, from the first post sent to the last answer. */
  acceptedPerSecond: number;
  /** Times from POST sent to its first arrival at each timed viewer. */
  arrived: number;
  p50: number;
  p95: number;
  p99: number;
  stages: Record<Stage, number[]>;
  /** Message events received by all viewers together, and how many there would be if none were missed. */
  delivered: number;
  expected: number;
};

/**
 * `viewers` streams open (in a process of their own, scripts/bench/viewers.ts) while posts go out at `rate`
 * per second for `ms`, without waiting for answers (an open loop: a slow server does not slow the offer).
 * `timed` of the viewers, spread over those opened, time every message from its POST to its arrival; the
 * stage times each message carries split that time (the naive design's and the floor's messages carry
 * none). The others only count what they receive.
 */
export async function offeredLoad(
  url: string,
  { rate, ms, tag, viewers = 1, timed = 20 }: { rate: number; ms: number; tag: string; viewers?: number; timed?: number },
): Promise<OfferedLoad> {
  const child = fork(new URL("./viewers.ts", import.meta.url), [JSON.stringify({ url, viewers, timed: Math.min(timed, viewers), tag })], {
    execArgv: ["--import", "tsx"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const next = <T>(type: string, schema: z.ZodType<T>) =>
    Promise.race([
      new Promise<T>((resolve) => child.on("message", (raw) => (raw as { type?: string }).type === type && resolve(schema.parse(raw)))),
      exited.then((code) => Promise.reject(new Error(`the viewers' process exited (${code}) before it said ${type}`))),
    ]);
  try {
    await next("open", z.object({ type: z.literal("open") }));

    const total = Math.round((rate * ms) / 1000);
    const sentAt: number[] = [];
    const accepted: number[] = [];
    const start = performance.now();
    let lastAnswer = start;
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      sentAt[i] = performance.timeOrigin + performance.now();
      posts.push(
        post(url, `{"text":"e2e-${tag}-${i}"}`).then(
          (status) => {
            lastAnswer = performance.now();
            if (status === 201) accepted.push(i);
          },
          () => undefined,
        ),
      );
    }
    await Promise.allSettled(posts);
    const answeredIn = lastAnswer - start;
    const reported = next("report", reportSchema);
    child.send({ type: "finish", accepted });
    const { delivered, arrivals } = await reported;

    const latencies: number[] = [];
    const stages = Object.fromEntries(STAGES.map((stage) => [stage, [] as number[]])) as Record<Stage, number[]>;
    for (const [index, arrivedAt, ...carried] of arrivals) {
      const sent = sentAt[index]!;
      latencies.push(arrivedAt - sent);
      const times = [sent, ...carried, arrivedAt];
      if (times.every(Number.isFinite)) STAGES.forEach((stage, k) => stages[stage].push(times[k + 1]! - times[k]!));
    }
    return {
      sent: total,
      accepted: accepted.length,
      acceptedPerSecond: (accepted.length / Math.max(answeredIn, ms)) * 1000,
      arrived: latencies.length,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
      stages,
      delivered,
      expected: accepted.length * viewers,
    };
  } finally {
    child.kill();
  }
}

const time = z
  .number()
  .nullable()
  .transform((value) => value ?? NaN);
const reportSchema = z.object({
  type: z.literal("report"),
  delivered: z.number(),
  // IPC carries JSON: a time a message does not carry (NaN) comes as null.
  arrivals: z.array(z.tuple([z.number(), z.number(), time, time, time, time])),
});
