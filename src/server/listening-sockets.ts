import { once } from "node:events";
import { createServer, type AddressInfo, type Server } from "node:net";

/**
 * `server` listening on `port` through `count` sockets (SO_REUSEPORT), each with an accept queue of its own,
 * the others handing what they accept to `server`. Resolves with every socket, `server`'s first.
 *
 * libuv takes one connection off a listening socket per turn of the event loop (libuv/libuv#3696), and a
 * turn of a loaded web process lasts tens of milliseconds: a crowd of new connections (clients arriving at
 * once, a load balancer putting this instance in) waits in the kernel's queue meanwhile. The kernel spreads
 * new connections over the sockets of one port, and each turn takes one from every socket.
 */
export async function listenOnSockets(server: Server, { port, host, count }: { port: number; host?: string; count: number }): Promise<Server[]> {
  const reusePort = count > 1;
  await listen(server, { port, host, reusePort });
  // Port 0: the others join the port the kernel gave the first.
  const { port: bound } = server.address() as AddressInfo;
  const sockets = [server];
  try {
    for (let i = 1; i < count; i++) {
      const socket = createServer((connection) => server.emit("connection", connection));
      await listen(socket, { port: bound, host, reusePort });
      sockets.push(socket);
    }
  } catch (error) {
    await closeSockets(sockets);
    throw error;
  }
  return sockets;
}

function listen(server: Server, options: { port: number; host?: string; reusePort: boolean }): Promise<void> {
  server.listen(options);
  return Promise.race([once(server, "listening"), once(server, "error").then(([error]) => Promise.reject(error as Error))]).then(() => {});
}

/** Stops every socket taking connections; resolves once every connection any of them accepted has ended. */
export function closeSockets(sockets: readonly Server[]): Promise<void> {
  // Each counts only the connections it accepted itself.
  return Promise.all(sockets.map((socket) => new Promise((resolve) => socket.close(resolve)))).then(() => {});
}
