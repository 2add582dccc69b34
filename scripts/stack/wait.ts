import { createServer } from "node:net";
import type { ManagedProcess } from "./processes";

/**
 * Polls `check` until it returns something other than undefined or false, or fails after `timeoutMs` with
 * a message that says what was awaited. Errors thrown by `check` count as "not yet", but for a process
 * that has ended (`exitedEarly`), which nothing will change.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      if (error instanceof ProcessExited) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port that nothing listens on right now, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1" }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** For a readiness check: stops the wait with the process's last lines if it has already ended. */
export async function exitedEarly(child: ManagedProcess): Promise<false> {
  const state = await Promise.race([child.exited, Promise.resolve("running")]);
  if (state !== "running") throw new ProcessExited(`${child.name} exited (${state}):\n${child.recentOutput()}`);
  return false;
}

class ProcessExited extends Error {}

/**
 * Waits until a server just started answers `ready`; if it ends first or takes longer than `timeoutMs`, it is
 * stopped and the error carries its last lines.
 */
export async function untilReady(server: ManagedProcess, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  try {
    await waitFor(what, async () => (await exitedEarly(server)) || (await ready()), { timeoutMs });
  } catch (error) {
    await server.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server.recentOutput()}`);
  }
}

/**
 * Starts a server on `count` ports picked now, and picks again if another program took one of them before
 * the server could bind it: a port found free is not reserved.
 */
export async function onFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    try {
      return await start(ports);
    } catch (error) {
      if (attempt >= attempts || !/address already in use/i.test(String(error))) throw error;
    }
  }
}
