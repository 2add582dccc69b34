import path from "node:path";
import { PROJECT_ROOT } from "./paths";
import { startProcess, typescript, type ManagedProcess, type Output, type Started } from "./processes";
import { onFreePorts } from "./wait";

/** The address a process logs once it listens, in JSON lines and readable ones alike. */
const LISTENING_URL = /url[=":]+(http:\/\/[^\s"]+)/;

/** Development and production run the custom server (`npm run dev`, `npm start`); plain-next runs `npm run start:next`. */
export type WebMode = "production" | "development" | "plain-next";
type Options = { output: Output; mode?: WebMode; onStart?: Started; /** Flags for node itself, such as --cpu-prof. */ nodeFlags?: string[] };

/**
 * The web app, started as `npm start` (or `npm run dev`) starts it, on a port the kernel picks when it
 * binds: no port is chosen here and then raced for. Resolves once it listens, pages included.
 */
export async function startWebApp(
  name: string,
  env: Record<string, string>,
  { output, mode = "production", onStart, nodeFlags = [] }: Options,
): Promise<ManagedProcess & { url: string }> {
  if (mode === "plain-next") return startPlainNext(name, env, { output, onStart, nodeFlags });
  const [node, args] = typescript("src/server/main.ts", mode === "development" ? ["--dev"] : [], nodeFlags);
  // It says where it listens at info level, so nothing quieter is allowed.
  const level = env.LOG_LEVEL === "debug" ? "debug" : "info";
  const web = startProcess(name, node, args, { cwd: PROJECT_ROOT, env: { PORT: "0", WEB_HOST: "127.0.0.1", ...env, LOG_LEVEL: level }, output });
  onStart?.(web);
  try {
    const listening = await web.waitForLine(/^.*web app listening.*$/, "where it listens", 120_000);
    return { ...web, url: LISTENING_URL.exec(listening[0])?.[1] ?? "" };
  } catch (error) {
    await web.stop();
    throw error;
  }
}

/**
 * The production build under `next start`, as `npm run start:next` runs it. Next is told the port (it
 * prints the one it was given, not the one it got), so a free one is found first.
 */
function startPlainNext(name: string, env: Record<string, string>, { output, onStart, nodeFlags = [] }: Options) {
  const next = path.join(PROJECT_ROOT, "node_modules/next/dist/bin/next");
  return onFreePorts(1, async ([port]) => {
    const host = "127.0.0.1";
    const web = startProcess(name, process.execPath, [...nodeFlags, next, "start", "--port", String(port), "--hostname", host], {
      cwd: PROJECT_ROOT,
      env: { ...env, NEXT_MANUAL_SIG_HANDLE: "1" },
      output,
    });
    onStart?.(web);
    try {
      await web.waitForLine(/connected to Kafka|Kafka is unreachable/, "that its services started", 120_000);
      return { ...web, url: `http://${host}:${port}` };
    } catch (error) {
      await web.stop();
      throw error;
    }
  });
}

/**
 * `npm run kafka:consumer`'s script, with its metrics on a port the kernel picks; resolves once it has
 * joined its group (which it says at info level, so nothing quieter is allowed).
 */
export async function startConsumerApp(
  name: string,
  env: Record<string, string>,
  { output, onStart }: Options,
): Promise<ManagedProcess & { metricsUrl: string }> {
  const consumer = startProcess(name, ...typescript("scripts/start-consumer.ts"), {
    cwd: PROJECT_ROOT,
    env: { CONSUMER_METRICS_PORT: "0", ...env, LOG_LEVEL: env.LOG_LEVEL === "debug" ? "debug" : "info" },
    output,
  });
  onStart?.(consumer);
  try {
    const metrics = await consumer.waitForLine(/^.*metrics served.*$/, "where it serves metrics");
    await consumer.waitForLine(/joined consumer group/, "that it joined its group");
    return { ...consumer, metricsUrl: LISTENING_URL.exec(metrics[0])?.[1] ?? "" };
  } catch (error) {
    await consumer.stop();
    throw error;
  }
}

/** `npm run kafka:processor`'s script; resolves once it has joined its group. */
export async function startProcessorApp(name: string, env: Record<string, string>, { output, onStart }: Options): Promise<ManagedProcess> {
  const processor = startProcess(name, ...typescript("scripts/start-processor.ts"), {
    cwd: PROJECT_ROOT,
    env: { ...env, LOG_LEVEL: env.LOG_LEVEL === "debug" ? "debug" : "info" },
    output,
  });
  onStart?.(processor);
  try {
    await processor.waitForLine(/joined consumer group/, "that it joined its group");
    return processor;
  } catch (error) {
    await processor.stop();
    throw error;
  }
}
