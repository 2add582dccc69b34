import { errorReply, methodNotAllowed, notFound } from "./api-error";
import type { Handler } from "./call";

type Method = "GET" | "POST" | "PUT" | "DELETE";
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
  const matching = (path: string) => {
    const segments = path.split("/");
    return patterns.find(
      (pattern) =>
        pattern.segments.length === segments.length &&
        pattern.segments.every((segment, i) => (segment.startsWith(":") ? segments[i] !== "" : segment === segments[i])),
    )?.route;
  };
  return (method: string, path: string): Handler | undefined => {
    const route = Object.hasOwn(routes, path) ? routes[path] : matching(path);
    if (!route) return owns(path) ? refuse(errorReply(notFound())) : undefined;
    const served = method === "HEAD" ? "GET" : method;
    const handler = Object.hasOwn(route, served) ? route[served as Method] : undefined;
    return handler ?? refuse(errorReply(methodNotAllowed(Object.keys(route))));
  };
}

const refuse =
  (reply: ReturnType<typeof errorReply>): Handler =>
  () =>
    Promise.resolve(reply);
