import type { Consumer, Kafka } from "kafkajs";
import { isTransient } from "../kafka/client";
import { errorFields, type Logger } from "../log";

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
