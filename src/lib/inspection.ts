import { z } from "zod";

/** What the inspector shows; the page parses it with this schema. */
const percentiles = z.object({ p50: z.number().nullable(), p99: z.number().nullable() });

const groupSchema = z.object({
  groupId: z.string(),
  state: z.string(),
  members: z.array(z.object({ memberId: z.string(), clientId: z.string(), host: z.string(), partitions: z.array(z.number()) })),
  lag: z.array(z.object({ partition: z.number(), committed: z.string(), high: z.string(), lag: z.number() })),
  totalLag: z.number(),
});

export const inspectionSchema = z.object({
  at: z.number(),
  /** The last few seconds as the answering web process saw them (src/lib/metrics/pipeline-window.ts). */
  live: z.object({
    inPerSecond: z.number(),
    storedPerSecond: z.number(),
    outPerSecond: z.number(),
    viewers: z.number(),
    stages: z.object({ append: percentiles, consume: percentiles, store: percentiles, deliver: percentiles }),
  }),
  cluster: z.object({
    clusterId: z.string(),
    controller: z.number(),
    nodes: z.array(z.object({ id: z.number(), address: z.string().nullable(), up: z.boolean(), voter: z.boolean() })),
    underReplicated: z.number(),
  }),
  topic: z.object({
    topic: z.string(),
    records: z.number(),
    underReplicated: z.number(),
    partitions: z.array(
      z.object({ partition: z.number(), leader: z.number(), replicas: z.array(z.number()), isr: z.array(z.number()), low: z.string(), high: z.string() }),
    ),
  }),
  deadLetters: z.object({ topic: z.string(), records: z.number() }),
  group: groupSchema,
  /** The stream processor: its group (members and lag on the reactions topic), lag on the messages, its topics. */
  processor: z.object({
    group: groupSchema,
    messagesLag: z.number(),
    topics: z.array(z.object({ topic: z.string(), records: z.number() })),
  }),
  latest: z.array(
    z.object({
      partition: z.number(),
      offset: z.string(),
      timestamp: z.string(),
      key: z.string().nullable(),
      value: z.string(),
      headers: z.record(z.string(), z.string()),
    }),
  ),
});
export type Inspection = z.infer<typeof inspectionSchema>;
