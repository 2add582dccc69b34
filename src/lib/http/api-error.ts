import type { z } from "zod";
import { BoardError, issuesByField, type Refusal } from "../board/errors";
import { jsonReply, type Reply } from "./call";
import type { ErrorBody } from "./error-body";

export type ErrorCode =
  | Refusal
  | "invalid_json"
  | "invalid_query"
  | "payload_too_large"
  | "unsupported_media_type"
  | "cross_origin"
  | "method_not_allowed"
  | "upgrade_required"
  | "not_found"
  | "internal";

/** An error with its HTTP answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly fields?: Record<string, string>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

const REFUSAL_STATUS: Record<Refusal, number> = {
  invalid_message: 400,
  too_many_requests: 429,
  too_many_streams: 429,
  server_busy: 503,
  kafka_unavailable: 503,
  store_unavailable: 503,
  invalid_search: 400,
  history_unavailable: 503,
  unknown_board: 404,
  invalid_board: 400,
  board_exists: 409,
  unknown_message: 404,
  invalid_reaction: 400,
  shutting_down: 503,
  sign_in_required: 401,
  session_ended: 401,
  not_allowed: 403,
  invalid_edit: 400,
  edit_window_closed: 409,
  name_taken: 409,
  invalid_rule: 400,
  board_locked: 403,
  banned: 403,
  unknown_account: 404,
};

/** The one place where the board's refusals become statuses and headers. */
export function fromBoardError({ code, message, details }: BoardError): ApiError {
  const headers: Record<string, string> = {};
  if (details.retryAfterSeconds !== undefined) headers["Retry-After"] = String(details.retryAfterSeconds);
  // A load balancer sends the retry to another instance; keep-alive would bring it back here.
  if (code === "shutting_down") headers.Connection = "close";
  return new ApiError(REFUSAL_STATUS[code], code, message, details.fields, headers);
}

/** The JSON answer for an error, with its status and headers. */
export function errorReply(error: ApiError | BoardError): Reply {
  const api = error instanceof BoardError ? fromBoardError(error) : error;
  const body: ErrorBody = { error: { code: api.code, message: api.message, ...(api.fields && { fields: api.fields }) } };
  return jsonReply(api.status, body, api.headers);
}

export function invalidQuery(error: z.ZodError): ApiError {
  const { fields, summary } = issuesByField(error);
  return new ApiError(400, "invalid_query", summary, fields);
}

export function internalError(): ApiError {
  return new ApiError(500, "internal", "Something went wrong on our side");
}

export function shuttingDown(): BoardError {
  return new BoardError("shutting_down", "This server is restarting; try again in a moment.", { retryAfterSeconds: 1 });
}

export function methodNotAllowed(allowed: readonly string[]): ApiError {
  const allow = allowed.join(", ");
  return new ApiError(405, "method_not_allowed", `Use ${allow} here.`, undefined, { Allow: allow });
}

/** A WebSocket address asked for without the upgrade, or of a server that cannot upgrade (plain `next start`). */
export function upgradeRequired(): ApiError {
  return new ApiError(
    426,
    "upgrade_required",
    "Open a WebSocket here (npm start's server takes them), or use the SSE stream at /api/messages/stream.",
    undefined,
    {
      Upgrade: "websocket",
    },
  );
}

export function notFound(): ApiError {
  return new ApiError(404, "not_found", "There is nothing at this address.");
}
