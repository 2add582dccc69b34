import { errorFields, type Logger } from "../log";

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * A store or the broker being down is not the record's fault: keep the batch, back off and try again,
 * heartbeating so that the group does not hand the partition to someone else meanwhile.
 */
export async function untilDone<T>(
  what: string,
  step: () => Promise<T>,
  { heartbeat, giveUp, log, onFailure }: { heartbeat: () => Promise<void>; giveUp: () => boolean; log: Logger; onFailure?: () => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await step();
      if (attempt > 1) log.info(`${what} succeeded again`, { attempts: attempt });
      return result;
    } catch (error) {
      onFailure?.();
      if (giveUp()) throw error;
      const delayMs = Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS);
      log.warn(`${what} failed; retrying`, { ...errorFields(error), attempt, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await heartbeat();
    }
  }
}

/** For `giveUp`: true once `ms` have passed from now. */
export function deadline(ms: number): () => boolean {
  const at = Date.now() + ms;
  return () => Date.now() > at;
}
