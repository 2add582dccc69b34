import type { StoredMessage } from "./schema";

export type Stage = { stage: "accepted" | "appended" | "consumed" | "stored" | "delivered"; ms: number | undefined };

/**
 * How long each stage took after the one before, from the times the message carries: accepted by the web
 * app, appended by the broker, read by the consumer, stored by Redis, and delivered to this page (only for
 * messages that arrived live). Times come from different clocks; on one machine they agree.
 */
export function pipelineStages(message: StoredMessage & { deliveredAt?: number }): Stage[] {
  const times = [
    ["accepted", Date.parse(message.createdAt)],
    ["appended", message.appendedAt],
    ["consumed", message.consumedAt],
    ["stored", message.storedAt],
    ["delivered", message.deliveredAt],
  ] as const;
  let previous: number | undefined;
  return times.map(([stage, at]) => {
    const ms = at !== undefined && previous !== undefined ? Math.max(0, Math.round(at - previous)) : stage === "accepted" ? 0 : undefined;
    if (at !== undefined) previous = at;
    return { stage, ms };
  });
}
