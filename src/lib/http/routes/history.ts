import { z } from "zod";
import type { Archive } from "../../board/archive";
import { BoardError } from "../../board/errors";
import { errorFields, type Logger } from "../../log";
import { authorSchema, boardSlugSchema, messageIdSchema } from "../../messages/schema";
import { errorReply, internalError, invalidQuery } from "../api-error";
import { jsonReply, searchParams, type Call, type Handler, type Reply } from "../call";

export type HistoryRoutesDeps = { archive: Archive; defaultBoard: string; log: Logger };

const limitSchema = (max: number) =>
  z.coerce
    .number({ error: "limit must be a number" })
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(max, `limit must be at most ${max}`);

const olderQuerySchema = z.strictObject({
  board: boardSlugSchema.optional(),
  before: messageIdSchema.optional(),
  limit: limitSchema(200).default(50),
});

const searchQuerySchema = z.strictObject({
  q: z.string().max(200, "q must be at most 200 characters").default(""),
  board: boardSlugSchema.optional(),
  author: authorSchema.optional(),
  limit: limitSchema(100).default(50),
});

const messageQuerySchema = z.strictObject({ id: messageIdSchema });

/** Lasting history over HTTP: older pages, search and single messages, each a JSON answer or a JSON error. */
export function historyRoutes({ archive, defaultBoard, log }: HistoryRoutesDeps) {
  const read =
    <S extends z.ZodType>(schema: S, handle: (query: z.infer<S>) => Promise<unknown>): Handler =>
    async (call: Call): Promise<Reply> => {
      const query = schema.safeParse(Object.fromEntries(searchParams(call)));
      if (!query.success) return errorReply(invalidQuery(query.error));
      try {
        return jsonReply(200, await handle(query.data), { "Cache-Control": "no-store" });
      } catch (error) {
        if (error instanceof BoardError) return errorReply(error);
        log.error("unexpected error", errorFields(error));
        return errorReply(internalError());
      }
    };
  return {
    older: read(olderQuerySchema, ({ board, before, limit }) => archive.older(board ?? defaultBoard, before, limit)),
    search: read(searchQuerySchema, ({ q, board, author, limit }) => archive.search({ text: q, board, author, limit })),
    message: read(messageQuerySchema, ({ id }) => archive.find(id)),
  };
}
