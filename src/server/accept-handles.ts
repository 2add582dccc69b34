import { spawn } from "node:child_process";
import { once } from "node:events";
import { Server } from "node:net";

/**
 * `extra` more handles on the server's listening socket, each handing what it accepts to `server`.
 *
 * libuv (Node 20) takes one connection off a listening handle per turn of the event loop
 * (libuv/libuv#3696), and a turn of a loaded web process lasts tens of milliseconds: a crowd of new
 * connections (clients arriving at once, a load balancer putting this instance in) then waits in the
 * kernel's queue for seconds. Every handle on the socket takes one per turn. Node 20 cannot open a second
 * listening socket on the port (no `reusePort`), and the only way to another descriptor of the same
 * socket is to receive one: a short-lived child sends the server back as often as asked, each time as a
 * new descriptor.
 */
export async function addAcceptHandles(server: Server, extra: number, { node = process.execPath } = {}): Promise<Server[]> {
  if (extra < 1) return [];
  const echo = spawn(node, ["-e", "process.on('message', (m, handle) => process.send(m, handle))"], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    // Nothing of this process's environment: NODE_OPTIONS, say, could load a loader into a one-liner.
    env: { NODE_ENV: process.env.NODE_ENV },
  });
  const handles: Server[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      echo.on("message", (_message, handle) => {
        if (!(handle instanceof Server)) return reject(new Error("the process returned something other than the socket"));
        handles.push(handle);
        if (handles.length === extra) resolve();
      });
      echo.once("error", reject);
      echo.once("exit", (code, signal) => reject(new Error(`the process returning the socket ended (${signal ?? code})`)));
      for (let i = 0; i < extra; i++) echo.send("listen", server);
    });
  } catch (error) {
    for (const handle of handles) handle.close();
    throw error;
  } finally {
    echo.removeAllListeners();
    // Its own descriptors of the socket would go on taking connections that nobody serves.
    if (echo.pid !== undefined && echo.exitCode === null && echo.signalCode === null) {
      const ended = once(echo, "exit");
      echo.kill();
      await ended;
    }
  }
  for (const handle of handles) handle.on("connection", (socket) => server.emit("connection", socket));
  return handles;
}

/** Stops every handle taking connections; resolves once every connection any of them accepted has ended. */
export function closeHandles(handles: readonly Server[]): Promise<void> {
  // Each handle counts only the connections it accepted itself.
  return Promise.all(handles.map((handle) => new Promise((resolve) => handle.close(resolve)))).then(() => {});
}
