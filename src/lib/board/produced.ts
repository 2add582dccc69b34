import { KafkaUnavailableError } from "../kafka/producer";
import { errorFields, type Logger } from "../log";
import { BoardError } from "./errors";

/**
 * Waits for a record to be produced. Kafka away becomes the board's refusal, `kafka_unavailable` with
 * `refusal` as its words, logged as `what` (with `fields`); anything else goes on as it was thrown.
 */
export async function produced<T>(
  produce: () => Promise<T>,
  { log, what, refusal, fields }: { log: Logger; what: string; refusal: string; fields?: Record<string, unknown> },
): Promise<T> {
  try {
    return await produce();
  } catch (error) {
    if (!(error instanceof KafkaUnavailableError)) throw error;
    log.warn(`${what} refused: Kafka unavailable`, { ...fields, ...errorFields(error) });
    throw new BoardError("kafka_unavailable", refusal);
  }
}
