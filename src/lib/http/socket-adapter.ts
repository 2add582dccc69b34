import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { StreamSink } from "../board/streams";
import { errorFields, type Logger } from "../log";
import { socketMessagesOf } from "../realtime/ws-frames";
import { errorReply, internalError, notFound } from "./api-error";
import { isStream, type Reply } from "./call";
import { API_ANSWER_HEADERS, callOf, pathOf, type FindHandler } from "./node-adapter";

/** The addresses that take WebSocket upgrades. */
const SOCKET_PATHS = new Set(["/api/messages/ws"]);

/**
 * WebSocket upgrades for node:http's `upgrade` event: the route's handler decides, as for any request (the
 * same checks, limits and refusals, sent as a plain HTTP answer before any upgrade), and a stream answer
 * becomes the socket. Returns false for upgrades that are not the API's (development's hot reload).
 */
export function serveSockets(findHandler: FindHandler, owns: (path: string) => boolean, log: Logger) {
  // No compression: each message is a small JSON event, and deflate would cost memory per socket.
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096, clientTracking: false });
  return (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const path = pathOf(request.url);
    if (!owns(path)) return false;
    const handler = SOCKET_PATHS.has(path) ? findHandler("GET", path) : undefined;
    if (!handler) return (refuse(socket, errorReply(notFound())), true);
    handler({ ...callOf(request), websocket: true }).then(
      (answer) => {
        if (!isStream(answer)) return refuse(socket, answer);
        // The answer's headers (a reader's new cookie) go with the switch to the WebSocket protocol.
        const addHeaders = (headers: string[], upgraded: IncomingMessage) => {
          if (upgraded !== request) return;
          sockets.off("headers", addHeaders);
          headers.push(...Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}`));
        };
        sockets.on("headers", addHeaders);
        socket.once("close", () => sockets.off("headers", addHeaders));
        sockets.handleUpgrade(request, socket, head, (ws) => {
          const gone = answer.attach(socketSink(ws));
          ws.once("close", gone);
          const { receive } = answer;
          // One message answered at a time, in order; a client that sends more waits for the answers.
          let answering = Promise.resolve();
          if (receive) {
            ws.on("message", (data: Buffer, binary: boolean) => {
              answering = answering.then(async () => {
                const reply = await receive(binary ? "" : data.toString("utf8")).catch((error: unknown) => {
                  log.error("unexpected error", errorFields(error));
                  return JSON.stringify({ event: "error", data: { code: "internal", message: "Something went wrong on our side" } });
                });
                if (ws.readyState === ws.OPEN) ws.send(reply);
              });
            });
          }
        });
      },
      (error: unknown) => {
        log.error("unexpected error", errorFields(error));
        refuse(socket, errorReply(internalError()));
      },
    );
    return true;
  };
}

/** The stream's events, each a WebSocket message; what the socket has not sent yet is what a slow viewer is dropped by. */
function socketSink(ws: WebSocket): StreamSink {
  return {
    write: (chunk) => {
      for (const message of socketMessagesOf(chunk)) ws.send(message);
    },
    queuedBytes: () => ws.bufferedAmount,
    // 1001: going away (a reset, the instance stopping), after what is queued; 1008 would say the viewer did wrong.
    end: (dropped) => (dropped ? ws.terminate() : ws.close(1001)),
  };
}

/** A refusal before the upgrade, as a plain HTTP answer on the raw connection. */
function refuse(socket: Duplex, reply: Reply): void {
  const headers = { ...API_ANSWER_HEADERS, ...reply.headers, "Content-Length": String(Buffer.byteLength(reply.body)), Connection: "close" };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  socket.end(`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ""}\r\n${head.join("\r\n")}\r\n\r\n${reply.body}`);
}
