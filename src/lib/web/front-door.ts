import "server-only";
import { Server, type IncomingMessage, type ServerResponse } from "node:http";
import { errorFields } from "../log";
import { errorReply, internalError } from "../http/api-error";
import type { Call, Reply, StreamOpening } from "../http/call";
import { PEER_ADDRESS_HEADER } from "../http/client-address";
import { postMessage } from "../http/messages-api";
import { API_HEADERS, SECURITY_HEADERS } from "../http/security-headers";
import { openBoardStream } from "../realtime/board-stream";
import { services } from "./services";

type Route = (call: Call, response: ServerResponse) => Promise<void>;

/**
 * Posting and the live stream carry a board's load. Next's routing and its fetch-style request and
 * response cost milliseconds of CPU per request (see README, Performance), so these two are answered here,
 * straight from node:http, by the same handlers their route files call. Every other request goes to Next.
 */
const HOT_ROUTES: Record<string, Route> = {
  "POST /api/messages": async (call, response) => send(response, await postMessage(call)),
  "GET /api/messages/stream": async (call, response) => stream(response, await openBoardStream(call)),
};

const INSTALLED = Symbol.for("message-board.front-door");

/**
 * Called once at start-up, before the server takes requests. Every request gets the connection's address
 * in a header of our own (route handlers see no socket), overwriting whatever a client sent there; with
 * `hotRoutes`, the routes above are answered before Next sees them.
 */
export function openFrontDoor({ hotRoutes }: { hotRoutes: boolean }): void {
  const server = Server.prototype as Server & { [INSTALLED]?: true };
  if (server[INSTALLED]) return;
  server[INSTALLED] = true;
  const emit = server.emit;
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      const [request, response] = args as [IncomingMessage, ServerResponse];
      request.headers[PEER_ADDRESS_HEADER] = request.socket.remoteAddress ?? "unknown";
      const route = hotRoutes ? HOT_ROUTES[`${request.method} ${pathOf(request.url)}`] : undefined;
      if (route) {
        route(callOf(request), response).catch((error: unknown) => fail(response, error));
        return true;
      }
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof server.emit;
}

const pathOf = (url = "/") => {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
};

function callOf(request: IncomingMessage): Call {
  return {
    url: request.url ?? "/",
    headers: {
      get: (name) => {
        const value = request.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    // A handler that stops reading early (a body over the limit) must still be able to answer.
    body: { [Symbol.asyncIterator]: () => request.iterator({ destroyOnReturn: false }) },
  };
}

const API_ANSWER_HEADERS = { ...SECURITY_HEADERS, ...API_HEADERS };
const headersOf = (own: Record<string, string>) => ({ ...API_ANSWER_HEADERS, ...own });

function send(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, { ...headersOf(reply.headers), "Content-Length": Buffer.byteLength(reply.body) }).end(reply.body);
}

function stream(response: ServerResponse, opening: StreamOpening): void {
  if (opening.refused) return send(response, opening.refused);
  response.writeHead(200, headersOf(opening.headers));
  const gone = opening.attach({
    write: (chunk) => void response.write(chunk),
    // What the response and its socket hold that the kernel has not taken.
    queuedBytes: () => response.writableLength,
    end: (dropped) => (dropped ? response.destroy(dropped) : response.end()),
  });
  // The client may have gone while the stream was being opened.
  if (!response.socket || response.socket.destroyed) gone();
  else response.once("close", gone);
}

function fail(response: ServerResponse, error: unknown): void {
  services().log.error("unexpected error", errorFields(error));
  if (response.headersSent) response.destroy();
  else send(response, errorReply(internalError()));
}
