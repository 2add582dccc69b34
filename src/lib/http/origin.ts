import { ApiError } from "./api-error";
import type { Call } from "./call";

/**
 * Refuses a post that a page of another site makes the browser send. Browsers name the page's origin in
 * `Origin` (and say `Sec-Fetch-Site: cross-site`); requests without them, such as curl's, are not from a
 * page and pass.
 */
export function checkOrigin(request: Pick<Call, "headers">, allowed: readonly string[], trustedHops: number): void {
  const origin = request.headers.get("origin");
  if (!origin) {
    if (request.headers.get("sec-fetch-site") === "cross-site") throw crossOrigin();
    return;
  }
  // Behind a trusted proxy, the host the browser asked for is the one the proxy forwards.
  const host = (trustedHops > 0 && request.headers.get("x-forwarded-host")) || request.headers.get("host");
  let asked: URL;
  try {
    asked = new URL(origin);
  } catch {
    throw crossOrigin();
  }
  if (asked.host === host || allowed.includes(asked.origin)) return;
  throw crossOrigin();
}

function crossOrigin(): ApiError {
  return new ApiError(403, "cross_origin", "Posts from pages of other sites are refused.");
}
