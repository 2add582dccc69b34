import { errorFields, type Logger } from "./log";

// Within the launcher's grace period for an app (10 s), so that the app's own deadline is what ends it.
const STOP_DEADLINE_MS = 6000;

/**
 * For a process's entry: on the first SIGTERM or SIGINT, runs `stop` once and exits, 0 when it finished
 * and 1 when it failed. A stop that has not finished within `deadlineMs` (a Kafka client waiting on a
 * node that is down, say) is abandoned: the process says so and exits 1. A second signal while stopping
 * changes nothing.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>, deadlineMs = STOP_DEADLINE_MS): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    setTimeout(() => {
      log.error(`did not stop within ${deadlineMs / 1000} s: exiting without finishing`);
      process.exit(1);
    }, deadlineMs);
    try {
      await stop();
      log.info("stopped");
      process.exit(0);
    } catch (error) {
      log.error("could not stop cleanly", errorFields(error));
      process.exit(1);
    }
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown(signal));
}
