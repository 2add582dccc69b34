import type { IncomingMessage, ServerResponse } from "node:http";
import { errorFields, type Logger } from "../log";
import { errorReply, internalError } from "./api-error";
import { isStream, type Call, type Handler, type Reply, type StreamReply } from "./call";
import { API_HEADERS, SECURITY_HEADERS } from "./security-headers";

export type FindHandler = (method: string, path: string) => Handler | undefined;

/**
 * Answers the API's requests straight from node:http: Next's routing and its fetch-style requests and
 * responses cost milliseconds of CPU per request (README, Performance), which the board's busiest routes
 * cannot afford. Returns false for requests that are not the API's, for the caller to hand on.
 */
export function serveApi(findHandler: FindHandler, log: Logger) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    const handler = findHandler(request.method ?? "GET", pathOf(request.url));
    if (!handler) return false;
    handler(callOf(request)).then(
      (answer) => (isStream(answer) ? stream(response, answer) : send(response, answer, request.method === "HEAD")),
      (error: unknown) => {
        log.error("unexpected error", errorFields(error));
        if (response.headersSent) response.destroy();
        else send(response, errorReply(internalError()));
      },
    );
    return true;
  };
}

export const pathOf = (url = "/") => {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
};

export function callOf(request: IncomingMessage): Call {
  return {
    url: request.url ?? "/",
    peer: request.socket.remoteAddress ?? "unknown",
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

export const API_ANSWER_HEADERS = { ...SECURITY_HEADERS, ...API_HEADERS };

function send(response: ServerResponse, reply: Reply, headOnly = false): void {
  const headers = { ...API_ANSWER_HEADERS, ...reply.headers, "Content-Length": Buffer.byteLength(reply.body) };
  response.writeHead(reply.status, headers).end(headOnly ? undefined : reply.body);
}

/**
 * A stream's body runs until the connection closes (`Connection: close`, no chunked framing), so its bytes
 * can go to the socket as they are: fan-out writes to every viewer for every event, and this is the least
 * each write can cost. Browsers, proxies and load balancers read such a body like any other.
 */
function stream(response: ServerResponse, answer: StreamReply): void {
  response.useChunkedEncodingByDefault = false;
  response.writeHead(answer.status, { ...API_ANSWER_HEADERS, ...answer.headers });
  response.flushHeaders();
  const socket = response.socket;
  const gone = answer.attach({
    write: (chunk) => void socket?.write(chunk),
    // What the socket holds that the kernel has not taken.
    queuedBytes: () => socket?.writableLength ?? 0,
    end: (dropped) => (dropped ? response.destroy(dropped) : response.end()),
  });
  // The client may have gone while the stream was being opened.
  if (!socket || socket.destroyed) gone();
  else response.once("close", gone);
}
