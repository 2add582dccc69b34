import type { z } from "zod";

const REFUSALS = [
  "invalid_message",
  "too_many_requests",
  "too_many_streams",
  "server_busy",
  "kafka_unavailable",
  "store_unavailable",
  "invalid_search",
  "history_unavailable",
  "unknown_board",
  "invalid_board",
  "board_exists",
  "unknown_message",
  "invalid_reaction",
  "shutting_down",
  "sign_in_required",
  "session_ended",
  "not_allowed",
  "invalid_edit",
  "edit_window_closed",
  "name_taken",
  "invalid_rule",
  "board_locked",
  "banned",
  "unknown_account",
] as const;

/** Why the board refused something. Each transport says it its own way (HTTP: src/lib/http/api-error.ts). */
export type Refusal = (typeof REFUSALS)[number];

export type RefusalDetails = { fields?: Record<string, string>; retryAfterSeconds?: number };

/** A refusal the client can act on: fix the input, wait, or try another instance. Nothing was changed. */
export class BoardError extends Error {
  override name = "BoardError";

  constructor(
    readonly code: Refusal,
    message: string,
    readonly details: RefusalDetails = {},
  ) {
    super(message);
  }
}

/**
 * The board's refusal that `error` is, if it is one. The pages are given the web process's objects, and
 * Next bundles the pages with a copy of this module of their own, whose `BoardError` is another class:
 * there `instanceof` is false for every refusal, so it is told by its name and code.
 */
export function refusalOf(error: unknown): { code: Refusal; message: string } | undefined {
  if (!(error instanceof Error) || error.name !== "BoardError" || !("code" in error)) return undefined;
  const code = REFUSALS.find((refusal) => refusal === error.code);
  return code && { code, message: error.message };
}

/**
 * The first problem of each field, keyed by its path. Each message names its field ("text must not be
 * empty"), so the joined summary reads well on its own.
 */
export function issuesByField(error: z.ZodError): { fields: Record<string, string>; summary: string } {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.join(".") || "body"] ??= issue.message;
  return { fields, summary: Object.values(fields).join("; ") };
}
