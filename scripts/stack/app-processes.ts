import path from "node:path";
import { PROJECT_ROOT } from "./paths";
import { startProcess, type ManagedProcess, type Output } from "./processes";
import { freePort, waitFor } from "./wait";

const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules", ".bin", name);

/** The production build (`next start`) on a free port; resolves once it answers. */
export async function startWebApp(name: string, env: Record<string, string>, output: Output): Promise<ManagedProcess & { url: string }> {
  const port = await freePort();
  const web = startProcess(name, bin("next"), ["start", "-p", String(port), "-H", "127.0.0.1"], { cwd: PROJECT_ROOT, env, output });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${name} on port ${port}`, async () => (await fetch(`${url}/api/health`)).ok, { timeoutMs: 60_000 });
  return { ...web, url };
}

/**
 * `npm run kafka:consumer`'s script, with its metrics on a free port; resolves once it has joined its group
 * (which it says at info level, so nothing quieter is allowed).
 */
export async function startConsumerApp(name: string, env: Record<string, string>, output: Output): Promise<ManagedProcess & { metricsUrl: string }> {
  const metricsPort = await freePort();
  const consumer = startProcess(name, bin("tsx"), ["scripts/start-consumer.ts"], {
    cwd: PROJECT_ROOT,
    env: { CONSUMER_METRICS_PORT: String(metricsPort), ...env, LOG_LEVEL: env.LOG_LEVEL === "debug" ? "debug" : "info" },
    output,
  });
  await waitFor(`${name} to join its group`, () => consumer.recentOutput().includes("joined consumer group"), { timeoutMs: 60_000 });
  return { ...consumer, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}
