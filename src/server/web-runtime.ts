import { configOrExit, type Config } from "../lib/config";
import { createLogger, type Logger } from "../lib/log";
import { createWebServices, type WebServices } from "./web-services";

/** What one web process runs on: its settings, its log and its long-lived clients. */
export type WebRuntime = { config: Config; log: Logger; services: WebServices };

// The custom server and Next's bundles of the pages and route handlers each load a copy of this module;
// the process's one runtime is kept where every copy finds it, so that there is one producer and one
// subscriber however many copies ask.
const KEY = Symbol.for("message-board.web-runtime");
const holder = globalThis as typeof globalThis & { [KEY]?: WebRuntime };

/** The process's web runtime, made from the environment by the first caller. Nothing connects until used. */
export function webRuntime(): WebRuntime {
  if (holder[KEY]) return holder[KEY];
  const config = configOrExit(process.env);
  const log = createLogger("web", config);
  return (holder[KEY] = { config, log, services: createWebServices(config, log) });
}

/** Whether this process has made its runtime yet. */
export const hasWebRuntime = (): boolean => holder[KEY] !== undefined;
