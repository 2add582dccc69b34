import type { Call } from "../../src/lib/http/call";

/** A request as the handlers see it, without a server: `body` is sent as one chunk. */
export function call({
  url = "/api/messages",
  peer = "10.0.0.1",
  headers = {},
  body,
}: { url?: string; peer?: string; headers?: Record<string, string>; body?: string } = {}): Call {
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    url,
    peer,
    headers: { get: (name) => lower.get(name.toLowerCase()) ?? null },
    body:
      body === undefined
        ? null
        : (async function* () {
            yield new TextEncoder().encode(body);
          })(),
  };
}
