import type { Call } from "./call";

/**
 * Who is asking, for rate and connection limits. With no trusted proxy that is the connection's own
 * address, and any X-Forwarded-For is ignored (a client could write anything there). Behind `trustedHops`
 * proxies, each of which appends the address it saw, it is the entry that many places from the right.
 */
export function clientAddress(call: Pick<Call, "peer" | "headers">, trustedHops: number): string {
  if (trustedHops === 0) return call.peer;
  const chain = (call.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return chain[chain.length - trustedHops] ?? chain[0] ?? call.peer;
}
