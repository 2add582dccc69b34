import { Server, type IncomingMessage } from "node:http";

/**
 * The header that carries the connection's own address to route handlers, which see headers but no socket.
 * Set on every request by the server itself, so a client cannot choose it.
 */
export const PEER_ADDRESS_HEADER = "x-peer-address";
const INSTALLED = Symbol.for("message-board.peer-address");

/** Called once at start-up, before the server takes requests. */
export function recordPeerAddresses(): void {
  const server = Server.prototype as Server & { [INSTALLED]?: true };
  if (server[INSTALLED]) return;
  server[INSTALLED] = true;
  const emit = server.emit;
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      const request = args[0] as IncomingMessage;
      request.headers[PEER_ADDRESS_HEADER] = request.socket.remoteAddress ?? "unknown";
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof server.emit;
}

/**
 * Who is asking, for rate and connection limits. With no trusted proxy that is the connection's address and
 * any X-Forwarded-For is ignored (a client could write anything there). Behind `trustedHops` proxies, each
 * of which appends the address it saw, it is the entry that many places from the right.
 */
export function clientAddress(request: Request, trustedHops: number): string {
  const peer = request.headers.get(PEER_ADDRESS_HEADER) ?? "unknown";
  if (trustedHops === 0) return peer;
  const chain = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return chain[chain.length - trustedHops] ?? chain[0] ?? peer;
}
