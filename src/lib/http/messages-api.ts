import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { isKafkaUnavailable } from "../kafka/producer";
import { errorFields } from "../log";
import { createMessage } from "../messages/create";
import { newMessageSchema, type History, type Message } from "../messages/schema";
import { services } from "../web/services";
import { ApiError, errorReply, internalError, invalid, shuttingDown, tooMany } from "./api-error";
import { jsonReply, searchParams, type Call, type Reply } from "./call";
import { clientAddress } from "./client-address";
import { checkOrigin } from "./origin";
import { readJsonBody } from "./json-body";

/**
 * Checks where the post comes from and how often, validates it, produces it to Kafka, and answers 201 only
 * once the broker has acknowledged the message. Cheap refusals come first, before the body is read.
 */
export async function postMessage(call: Call): Promise<Reply> {
  if (services().closing) return errorReply(shuttingDown());
  const requestId = requestIdOf(call);
  const reply = await answer(async () => {
    const { config, producer, postLimiter, metrics, log } = services();
    checkOrigin(call, config.ALLOWED_ORIGINS, config.TRUSTED_PROXY_HOPS);
    const rate = await postLimiter.take(clientAddress(call, config.TRUSTED_PROXY_HOPS));
    if (!rate.allowed) {
      throw tooMany("too_many_requests", `Too many posts; try again in ${rate.retryAfterSeconds} s.`, rate.retryAfterSeconds);
    }
    const parsed = newMessageSchema.safeParse(await readJsonBody(call));
    if (!parsed.success) throw invalid("invalid_message", parsed.error);
    const message: Message = createMessage(parsed.data, config.BOARD_ID);
    const stopTimer = metrics.produceSeconds.startTimer();
    try {
      const { partition, offset } = await producer.publish(message, requestId);
      stopTimer();
      metrics.accepted.inc();
      log.debug("accepted message", { id: message.id, partition, offset, requestId });
    } catch (error) {
      if (isKafkaUnavailable(error)) {
        log.warn("post refused: Kafka unavailable", { requestId, ...errorFields(error) });
        throw new ApiError(503, "kafka_unavailable", "Kafka did not accept the message; it was not posted. Try again shortly.");
      }
      throw error;
    }
    return jsonReply(201, message);
  }, true);
  reply.headers["X-Request-Id"] = requestId;
  return reply;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** The caller's request id if it looks like one (a proxy may have set it), else a new one. */
function requestIdOf(call: Call): string {
  const given = call.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

const historyQuerySchema = z.object({
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1, "limit must be at least 1").optional(),
});

/** The stored messages, newest first. */
export async function getMessages(call: Call, shape: "history" | "list"): Promise<Reply> {
  return answer(async () => {
    const query = historyQuerySchema.safeParse(Object.fromEntries(searchParams(call)));
    if (!query.success) throw invalid("invalid_query", query.error);
    const { config } = services();
    const history = await readStoredHistory(Math.min(query.data.limit ?? config.MESSAGES_LIMIT, config.MESSAGES_LIMIT));
    return jsonReply(200, shape === "history" ? history : history.messages, { "Cache-Control": "no-store" });
  });
}

export async function readStoredHistory(limit?: number): Promise<History> {
  try {
    return await services().history(limit);
  } catch (error) {
    services().log.warn("history read failed", errorFields(error));
    throw new ApiError(503, "store_unavailable", "The message store (Redis) is unreachable; try again shortly.");
  }
}

/** Runs a handler and turns what it throws into a JSON error; `rejection`: count refusals as rejected posts. */
async function answer(handle: () => Promise<Reply>, rejection = false): Promise<Reply> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof ApiError) {
      if (rejection) services().metrics.rejected.inc({ reason: error.code });
      return errorReply(error);
    }
    services().log.error("unexpected error", errorFields(error));
    return errorReply(internalError());
  }
}
