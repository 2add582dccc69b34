import { errorFields, type Logger } from "./log";

/**
 * For a process's entry: on the first SIGTERM or SIGINT, runs `stop` once and exits, 0 when it finished
 * and 1 when it failed. A second signal while stopping changes nothing.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
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
