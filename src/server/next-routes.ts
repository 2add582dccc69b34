import { answerAuth } from "../lib/http/auth-adapter";
import { answerRequest } from "../lib/http/fetch-adapter";
import { webRuntime } from "./web-runtime";

/**
 * The API under plain `next start`, for the route handlers in src/app/api. Each route file exports every
 * method: the route table (src/lib/http/routes) decides what a path serves, and answers unknown paths
 * and methods with the same JSON 404 and 405 as the fast server.
 */
const route = (request: Request): Promise<Response> => {
  const { services, log } = webRuntime();
  return answerRequest(services.api, request, log);
};

export { route as GET, route as HEAD, route as POST, route as PUT, route as PATCH, route as DELETE, route as OPTIONS };

/** The accounts library's routes (/api/auth/…), or the API's JSON 404 while accounts are off. */
export const authRoute = (request: Request): Promise<Response> => {
  const { services, config } = webRuntime();
  return services.auth ? answerAuth(services.auth, request, config.TRUSTED_PROXY_HOPS) : route(request);
};
