import { stopOnSignals } from "../lib/shutdown";
import { hasWebRuntime, webRuntime } from "./web-runtime";

/**
 * Under plain `next start` (`npm run start:next`), what the custom server does at start: make the web
 * runtime, connect to Kafka before the first post, and stop cleanly. Under the custom server the runtime
 * exists already and this does nothing.
 */
export function startUnderPlainNext(): void {
  if (hasWebRuntime()) return;
  const { services, log } = webRuntime();
  void services.connect();
  log.info("web services started under next start");
  // Next exits at once on a stop signal unless NEXT_MANUAL_SIG_HANDLE is set (the npm script sets it);
  // then open streams end, so that browsers move to another instance, and the clients close.
  if (process.env.NEXT_MANUAL_SIG_HANDLE) stopOnSignals(log, () => services.close());
}
