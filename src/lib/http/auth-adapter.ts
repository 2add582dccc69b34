import type { IncomingMessage, ServerResponse } from "node:http";
import { toNodeHandler } from "better-auth/node";
import { CLIENT_ADDRESS_HEADER, overHttps, type Accounts } from "../accounts/auth";
import { clientAddress } from "./client-address";
import { callOf, pathOf, API_ANSWER_HEADERS } from "./node-adapter";

/** The accounts library's own routes: sign-up, sign-in, sessions, OpenID Connect. */
export const isAuthPath = (path: string) => path.startsWith("/api/auth/");

/**
 * Hands the library's routes to it from node:http, with the client's address as this server sees it
 * (what a client wrote in that header is replaced), for its sessions and the sign-in limits. Returns
 * false for other paths.
 */
export function serveAuth(accounts: Accounts | undefined, trustedHops: number) {
  const handlers = new Map<boolean, ReturnType<typeof toNodeHandler>>();
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    if (!accounts || !isAuthPath(pathOf(request.url))) return false;
    const call = callOf(request);
    request.headers[CLIENT_ADDRESS_HEADER] = clientAddress(call, trustedHops);
    for (const [name, value] of Object.entries(API_ANSWER_HEADERS)) response.setHeader(name, value);
    const https = overHttps(call.headers);
    let handle = handlers.get(https);
    if (!handle) handlers.set(https, (handle = toNodeHandler(accounts.over(https))));
    void handle(request, response);
    return true;
  };
}

/** The same under plain `next start`, from a fetch-style request: the address is the route handlers' (see fetch-adapter.ts). */
export function answerAuth(accounts: Accounts, request: Request, trustedHops: number): Promise<Response> {
  const headers = new Headers(request.headers);
  const peer = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || "unknown";
  headers.set(CLIENT_ADDRESS_HEADER, clientAddress({ peer, headers: request.headers }, trustedHops));
  return accounts.over(overHttps(request.headers)).handler(new Request(request, { headers }));
}
