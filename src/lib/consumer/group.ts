import type { Consumer, ConsumerRunConfig, Kafka } from "kafkajs";
import { setTimeout as sleep } from "node:timers/promises";
import { isTransient } from "../kafka/client";
import { errorFields, type Logger } from "../log";

// kafkajs's default is 5 s; an idle consumer asks once a second instead, which costs the broker nothing.
const FETCH_WAIT_MS = 1000;

/** A member of `groupId`, with the group settings every consumer here shares, saying when it joins or crashes. */
export function groupConsumer(kafka: Kafka, groupId: string, log: Logger, sessionTimeout = 10_000): Consumer {
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout,
    heartbeatInterval: Math.floor(sessionTimeout / 3),
    // How long the coordinator holds a rejoin while it waits for the other members. A batch here takes
    // milliseconds and gives way to a rebalance at its next heartbeat, so kafkajs's 60 s would only
    // lengthen the pause when a member is lost in a failover.
    rebalanceTimeout: 2 * sessionTimeout,
    // A seek of ours (a view refilled or rebuilt is read from where it now stops) takes effect at the next
    // fetch: on an idle partition, after the broker has held the one under way this long.
    maxWaitTimeInMs: FETCH_WAIT_MS,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    log.info("joined consumer group", { groupId, memberId: payload.memberId, assignment: payload.memberAssignment }),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const fields = { ...errorFields(payload.error), restart: payload.restart };
    if (payload.restart && isTransient(payload.error)) log.debug("consumer restarts after a passing broker error", fields);
    else log.error("consumer crashed", fields);
  });
  return consumer;
}

/**
 * Subscribes to topics that may have been made a moment ago. In a cluster, a new topic reaches each node's
 * metadata a little after its creation is acknowledged, and a node that has not heard of it yet answers
 * "does not host this topic-partition": that passes, so it is asked again until `timeoutMs`.
 */
export async function subscribeWhenKnown(consumer: Consumer, topics: string[], log: Logger, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await consumer.subscribe({ topics, fromBeginning: true });
    } catch (error) {
      if (!unknownTopic(error) || Date.now() > deadline) throw error;
      if (attempt === 1) log.info("a node does not know the topics yet; asking again", { topics, ...errorFields(error) });
      await sleep(Math.min(100 * attempt, 1000));
    }
  }
}

function unknownTopic(error: unknown): boolean {
  return error instanceof Error && "type" in error && error.type === "UNKNOWN_TOPIC_OR_PARTITION";
}

// The first wait before a consumer that kafkajs gave up on is started again, doubled each time up to the last.
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 10_000;

/**
 * Runs a consumer, and runs it again whenever kafkajs stops it for good. kafkajs restarts a consumer after
 * errors it deems passing, but not after the rest, and a failover makes some of those: while the group's
 * coordinator moves to another node, "Failed to find group coordinator" ends it. The process would then
 * look healthy while nothing is read. Reading again is safe: offsets are committed only once a batch is
 * written, and writing one twice changes nothing. `stop` works whether or not `run` was called: it leaves
 * the group, after the batch in hand is finished and committed.
 */
export function restartingRun(consumer: Consumer, log: Logger): { run(config: ConsumerRunConfig): Promise<void>; stop(): Promise<void> } {
  let config: ConsumerRunConfig | undefined;
  let stopping = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> = Promise.resolve();
  const restart = async () => {
    try {
      await consumer.connect();
      await consumer.run(config);
    } catch (error) {
      // connect() fails while no node answers; run() reports its own failures as another crash.
      if (!stopping) later(errorFields(error));
    }
  };
  const later = (fields: Record<string, unknown>) => {
    const delayMs = Math.min(RESTART_FIRST_MS * 2 ** attempt++, RESTART_MAX_MS);
    log.warn("starting the consumer again", { ...fields, delayMs, attempt });
    timer = setTimeout(() => {
      restarting = restart();
    }, delayMs);
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart && !stopping && config) later({ after: payload.error.message });
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    attempt = 0;
  });
  return {
    async run(given) {
      config = given;
      await consumer.run(given);
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await restarting;
      await consumer.disconnect();
    },
  };
}
