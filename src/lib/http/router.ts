import { errorReply, methodNotAllowed, notFound } from "./api-error";
import type { Handler } from "./call";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
/** Paths and the handler of each method they serve; a `:name` segment matches any one segment. */
export type RouteTable = Record<string, Partial<Record<Method, Handler>>>;

/**
 * Finds the handler for a request. Paths the API owns (`owns`) that match no route get a JSON 404, and
 * methods a route does not serve a JSON 405 naming those it does; HEAD is GET without the body. Other
 * paths are not ours: undefined.
 */
export function createRouter(routes: RouteTable, owns: (path: string) => boolean) {
  const patterns = Object.keys(routes)
    .filter((pattern) => pattern.includes("/:"))
    .map((pattern) => ({ segments: pattern.split("/"), route: routes[pattern] }));
  /** The pattern `path` matches, with its `:name` segments as the client meant them. */
  const matching = (path: string) => {
    const segments = path.split("/");
    for (const pattern of patterns) {
      if (pattern.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const matches = pattern.segments.every((segment, i) => {
        const given = segments[i] ?? "";
        if (!segment.startsWith(":")) return segment === given;
        params[segment.slice(1)] = decodeSegment(given);
        return given !== "";
      });
      if (matches) return { route: pattern.route, params };
    }
    return undefined;
  };
  return (method: string, path: string): Handler | undefined => {
    const { route, params } = Object.hasOwn(routes, path) ? { route: routes[path], params: undefined } : (matching(path) ?? {});
    if (!route) return owns(path) ? refuse(errorReply(notFound())) : undefined;
    const served = method === "HEAD" ? "GET" : method;
    const handler = Object.hasOwn(route, served) ? route[served as Method] : undefined;
    if (!handler) return refuse(errorReply(methodNotAllowed(Object.keys(route))));
    return params ? (call) => handler({ ...call, params }) : handler;
  };
}

/** A path segment as the client meant it; one that is not valid percent-encoding stays as it came. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const refuse =
  (reply: ReturnType<typeof errorReply>): Handler =>
  () =>
    Promise.resolve(reply);
