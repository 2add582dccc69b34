import { createRouter } from "../router";
import { historyRoutes, type HistoryRoutesDeps } from "./history";
import { inspectionRoute, type InspectionDeps } from "./inspection";
import { messageRoutes, type MessageRoutesDeps } from "./messages";
import { operationsRoutes, type OperationsDeps } from "./operations";

export type ApiDeps = MessageRoutesDeps & OperationsDeps & InspectionDeps & HistoryRoutesDeps;

/** The paths the API owns: what matches no route there is a JSON 404, never a page. */
export const isApiPath = (path: string) => path === "/api" || path.startsWith("/api/");

/** Every route of the API, in development and production alike; what is not the API's goes to the pages. */
export function apiRouter(deps: ApiDeps) {
  const messages = messageRoutes(deps);
  const operations = operationsRoutes(deps);
  const history = historyRoutes(deps);
  return createRouter(
    {
      "/api/messages": { GET: messages.history, POST: messages.post },
      "/api/messages/stream": { GET: messages.stream },
      "/api/messages/ws": { GET: messages.socket },
      "/api/messages/:id": { DELETE: messages.remove, PATCH: messages.edit },
      "/api/messages/:id/reactions/:emoji": { PUT: messages.react(true), DELETE: messages.react(false) },
      "/api/boards": { GET: messages.boards, POST: messages.createBoard },
      // A board's rules, its moderators and its bans: records on the boards topic.
      "/api/boards/:slug": { PATCH: messages.setRules },
      "/api/boards/:slug/moderators/:account": { PUT: messages.setModerator(true), DELETE: messages.setModerator(false) },
      "/api/boards/:slug/bans": { POST: messages.ban },
      "/api/boards/:slug/bans/:subject": { DELETE: messages.unban },
      // Lasting history (PostgreSQL): pages older than the live list, search, and one message by id.
      "/api/history": { GET: history.older },
      "/api/history/message": { GET: history.message },
      "/api/search": { GET: history.search },
      // The first design's API, kept for its clients: the same post, the history as a plain array.
      "/messages": { GET: messages.list, POST: messages.post },
      "/api/health": { GET: operations.health },
      "/api/ready": { GET: operations.ready },
      "/api/metrics": { GET: operations.metrics },
      "/api/inspect": { GET: inspectionRoute(deps) },
    },
    isApiPath,
  );
}
