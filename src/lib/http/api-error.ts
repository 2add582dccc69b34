import { z } from "zod";
import { jsonReply, type Reply } from "./call";
import { toResponse } from "./fetch-call";

export type ErrorCode =
  | "invalid_json"
  | "invalid_message"
  | "invalid_query"
  | "payload_too_large"
  | "unsupported_media_type"
  | "kafka_unavailable"
  | "store_unavailable"
  | "shutting_down"
  | "cross_origin"
  | "method_not_allowed"
  | "too_many_requests"
  | "too_many_streams"
  | "server_busy"
  | "internal";

/** An error with its HTTP answer. Handlers throw these; `errorReply` turns them into JSON. */
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

/** The JSON answer for an ApiError, with its status and headers. */
export function errorReply(error: ApiError): Reply {
  return jsonReply(error.status, errorBody(error), error.headers);
}

export function errorResponse(error: ApiError): Response {
  return toResponse(errorReply(error));
}

/** Too many: try again after `seconds`. */
export function tooMany(code: "too_many_requests" | "too_many_streams", message: string, seconds: number): ApiError {
  return new ApiError(429, code, message, undefined, { "Retry-After": String(seconds) });
}

export function invalid(code: "invalid_message" | "invalid_query", error: z.ZodError): ApiError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.join(".") || "body"] ??= issue.message;
  // Each message names its field ("text must not be empty"), so the summary reads well on its own.
  return new ApiError(400, code, Object.values(fields).join("; "), fields);
}

/** The body of every error answer; the UI parses it with this schema too. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(error: ApiError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.fields && { fields: error.fields }) } };
}

/** Something failed that no check foresaw; the details go to the log, not to the client. */
export function internalError(): ApiError {
  return new ApiError(500, "internal", "Something went wrong on our side");
}

/** This instance is shutting down; the client should try again, which a load balancer sends elsewhere. */
export function shuttingDown(): ApiError {
  return new ApiError(503, "shutting_down", "This server is restarting; try again in a moment.", undefined, { Connection: "close", "Retry-After": "1" });
}

/** For the methods a route does not serve: JSON like every other error, and the methods it does. */
export function methodNotAllowed(allowed: readonly string[]): () => Response {
  const allow = allowed.join(", ");
  return () => errorResponse(new ApiError(405, "method_not_allowed", `Use ${allow} here.`, undefined, { Allow: allow }));
}
