import type { Call } from "./call";

/**
 * The header that carries the connection's own address to route handlers, which see headers but no socket.
 * Set on every request by the front door (src/lib/web/front-door.ts), so a client cannot choose it.
 */
export const PEER_ADDRESS_HEADER = "x-peer-address";

/**
 * Who is asking, for rate and connection limits. With no trusted proxy that is the connection's address and
 * any X-Forwarded-For is ignored (a client could write anything there). Behind `trustedHops` proxies, each
 * of which appends the address it saw, it is the entry that many places from the right.
 */
export function clientAddress(request: Pick<Call, "headers">, trustedHops: number): string {
  const peer = request.headers.get(PEER_ADDRESS_HEADER) ?? "unknown";
  if (trustedHops === 0) return peer;
  const chain = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return chain[chain.length - trustedHops] ?? chain[0] ?? peer;
}
