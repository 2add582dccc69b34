// The floor the benchmark measures the board against: a bare node:http server that answers the same
// POST /api/messages (parsed and checked with the same schema, answered 201 with the message) and serves
// /api/messages/stream from memory, written to the sockets as the board writes its streams, with no Kafka,
// no Redis and no store. Whatever the board does beyond this is what its durability, ordering and recovery
// cost. Run as a process: `tsx scripts/bench/floor.ts <port>`.
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { createMessage } from "../../src/lib/messages/create";
import { newMessageSchema } from "../../src/lib/messages/schema";
import { safeJson } from "../../src/lib/safe-json";
import { encodeEvent, encodeRetry, SSE_HEADERS } from "../../src/lib/realtime/sse";

const viewers = new Set<Socket>();
let seq = 0;

const server = createServer((request, response) => {
  if (request.method === "POST" && request.url === "/api/messages") {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const input = newMessageSchema.safeParse(safeJson(Buffer.concat(chunks).toString("utf8")));
      if (!input.success) return void response.writeHead(400, { "Content-Type": "application/json" }).end('{"error":"invalid"}');
      const message = { ...createMessage(input.data, "main"), seq: ++seq };
      const body = JSON.stringify(message);
      response.writeHead(201, { "Content-Type": "application/json" }).end(body);
      const frame = encodeEvent({ id: String(message.seq), data: body });
      for (const viewer of viewers) viewer.write(frame);
    });
    return;
  }
  if (request.method === "GET" && request.url?.startsWith("/api/messages/stream")) {
    // Written as the board writes its streams (src/lib/http/node-adapter.ts): a body that runs until the
    // connection closes, its bytes going to the socket as they are, one write per viewer per message.
    response.useChunkedEncodingByDefault = false;
    response.writeHead(200, SSE_HEADERS).flushHeaders();
    const socket = response.socket;
    if (!socket) return;
    socket.write(encodeRetry(1000));
    viewers.add(socket);
    response.on("close", () => viewers.delete(socket));
    return;
  }
  response.writeHead(404).end();
});

const port = Number(process.argv[2] ?? 0);
server.listen(port, "127.0.0.1", () => console.log(`floor server ready on ${port}`));
process.on("SIGTERM", () => {
  for (const viewer of viewers) viewer.end();
  server.close(() => process.exit(0));
});
