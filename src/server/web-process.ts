import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nextEnv from "@next/env";
import next from "next";
import { serveApi } from "../lib/http/node-adapter";
import { serveSockets } from "../lib/http/socket-adapter";
import { serveAuth } from "../lib/http/auth-adapter";
import { isApiPath } from "../lib/http/routes";
import { errorFields } from "../lib/log";
import { stopOnSignals } from "../lib/shutdown";
import { closeSockets, listenOnSockets } from "./listening-sockets";
import { webRuntime } from "./web-runtime";

const SHUTDOWN_GRACE_MS = 5000;

const dev = process.env.NODE_ENV === "development";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
nextEnv.loadEnvConfig(root, dev);
// Made before Next is, so that the pages, the route handlers and src/instrumentation.ts find this runtime.
const { config, log, services } = webRuntime();

try {
  // One server: the API's routes answered by our handlers straight from node:http (the route handlers in
  // src/app/api serve the same handlers under plain `next start`), everything else (pages, assets,
  // development's hot reload) by Next. The API serves at once; pages wait until Next is prepared.
  const server = createServer();
  // Every connection, upgraded ones too (development's hot reload): server.close() waits for them all.
  const sockets = new Set<Socket>();
  // Connections that have sent a request. server.close() ends idle keep-alive connections, but not one
  // that has sent nothing yet (a spare a client or proxy opened), which would hold the stop to the grace.
  const asked = new WeakSet<Socket>();
  let stopping = false;
  server.on("connection", (socket) => {
    if (stopping) return void socket.destroy();
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // Next listens for upgrades (development's hot reload) on the server it is given, and ends those it does
  // not serve, the API's WebSockets among them: it is given one that never listens, and hears only the
  // upgrades that are not the API's.
  const nextUpgrades = createServer();
  const pages = next({ dev, dir: root, hostname: config.WEB_HOST, port: config.PORT, httpServer: nextUpgrades });
  const pagesReady = pages.prepare().then(() => pages.getRequestHandler());
  const api = serveApi(services.api, log);
  const accounts = serveAuth(services.auth, config.TRUSTED_PROXY_HOPS);
  const upgrades = serveSockets(services.api, isApiPath, log);
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    asked.add(request.socket);
    if (!upgrades(request, socket, head)) nextUpgrades.emit("upgrade", request, socket, head);
  });
  server.on("request", (request, response) => {
    asked.add(request.socket);
    if (accounts(request, response) || api(request, response)) return;
    pagesReady
      .then((handle) => handle(request, response))
      .catch((error: unknown) => {
        log.error("page request failed", errorFields(error));
        if (response.headersSent) response.destroy();
        else response.writeHead(500).end();
      });
  });
  const accepting = await listenOnSockets(server, { port: config.PORT, host: config.WEB_HOST, count: config.ACCEPT_HANDLES });
  const address = addressOf(server, config.WEB_HOST);
  void services.connect();
  await pagesReady;
  log.info("web app listening", { url: `http://${address}`, mode: dev ? "development" : "production" });

  stopOnSignals(log, async () => {
    // New posts and streams are refused from here on, and open streams end, so that browsers and load
    // balancers move to another instance; posts in flight are still answered.
    services.stopTaking();
    stopping = true;
    const closed = closeSockets(accepting);
    for (const socket of sockets) if (!asked.has(socket)) socket.destroy();
    const grace = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(grace);
    await Promise.all([services.close(), pages.close()]);
  });
} catch (error) {
  log.error("the web app could not start", errorFields(error));
  process.exit(1);
}

/** Where `server` listens, as a browser would be sent there. */
function addressOf(server: Server, host: string | undefined): string {
  const { port } = server.address() as AddressInfo;
  const everywhere = host === undefined || host === "0.0.0.0" || host === "::";
  return `${everywhere ? "localhost" : host.includes(":") ? `[${host}]` : host}:${port}`;
}
