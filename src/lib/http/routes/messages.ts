import { randomUUID } from "node:crypto";
import { z } from "zod";
import { BoardError } from "../../board/errors";
import type { BoardHistory } from "../../board/history";
import type { Boards } from "../../board/boards";
import type { Posting } from "../../board/posting";
import type { Reacting } from "../../board/reacting";
import type { Moderating } from "../../board/moderating";
import type { People } from "../../accounts/people";
import { overHttps } from "../../accounts/auth";
import type { RateDecision } from "../../store/rate-limit";
import { takeAllowance } from "../../board/allowance";
import { boardSortSchema } from "../../messages/boards";
import { newReaderCookie, reactorIn, reactorOf } from "../reader-cookie";
import type { Streams } from "../../board/streams";
import { errorFields, type Logger } from "../../log";
import { parsePosition, type Position } from "../../messages/position";
import { boardSlugSchema } from "../../messages/schema";
import type { WebMetrics } from "../../metrics/web-metrics";
import { SSE_HEADERS } from "../../realtime/sse";
import { ApiError, errorReply, internalError, invalidQuery, shuttingDown, upgradeRequired } from "../api-error";
import { jsonReply, searchParams, type Answer, type Call, type Handler, type Reply } from "../call";
import { clientAddress } from "../client-address";
import { readJsonBody } from "../json-body";
import { checkOrigin } from "../origin";
import { safeJson } from "../../safe-json";

export type MessageRoutesDeps = {
  posting: Posting;
  reacting: Reacting;
  moderating: Moderating;
  /** Who is signed in, by a request's cookies. */
  people: People;
  /** What a client's address is known as in records (bans), never the address itself. */
  senderOf(address: string): string;
  /** Per account, beside the per-address limits: posts, and moderation (edits, deletions). */
  accountLimits: { posts: { take(key: string): Promise<RateDecision> }; moderation: { take(key: string): Promise<RateDecision> } };
  boards: Boards;
  defaultBoard: string;
  streams: Streams;
  history: BoardHistory;
  /** True once the process is shutting down: new posts and streams go elsewhere. */
  lifecycle: { readonly closing: boolean };
  clients: { trustedHops: number; allowedOrigins: readonly string[] };
  metrics: Pick<WebMetrics, "rejected">;
  log: Logger;
};

const historyQuerySchema = z.object({
  board: boardSlugSchema.optional(),
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1, "limit must be at least 1").optional(),
});

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** What makes a browser forget a session cookie: its name is `__Secure-` prefixed, and the cookie Secure, over HTTPS. */
const forgetSession = (https: boolean) =>
  `${https ? "__Secure-" : ""}board.session_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${https ? "; Secure" : ""}`;

/** The caller's request id if it looks like one (a proxy may have set it), else a new one. */
function requestIdOf(call: Call): string {
  const given = call.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

const boardsQuerySchema = z.object({ sort: boardSortSchema.optional() });

/** The reader's identity in records; with the Set-Cookie header that gives a reader without one its cookie. */
function readerOf(call: Call): { reactor: string; headers: Record<string, string> } {
  const known = reactorIn(call.headers.get("cookie"));
  if (known !== undefined) return { reactor: known, headers: {} };
  const cookie = newReaderCookie(call.headers.get("x-forwarded-proto") === "https");
  return { reactor: reactorOf(cookie.value), headers: { "Set-Cookie": cookie.header } };
}

const socketRequestSchema = z.object({
  event: z.literal("react"),
  data: z.object({ id: z.string().max(100), emoji: z.string().max(20), on: z.boolean() }),
});
const socketReply = (event: string, data: unknown) => JSON.stringify({ event, data });

const streamQuerySchema = z.object({ board: boardSlugSchema.optional(), after: z.string().optional() });

export function messageRoutes(deps: MessageRoutesDeps) {
  const { posting, reacting, moderating, people, senderOf, accountLimits, boards, defaultBoard, streams, history, lifecycle, clients, metrics, log } = deps;
  /** Runs a handler and turns what it throws into a JSON error; `countRefusals`: as rejected posts. */
  const answer = async <T extends Answer>(handle: () => Promise<T>, countRefusals = false): Promise<T | Reply> => {
    try {
      return await handle();
    } catch (error) {
      if (error instanceof ApiError || error instanceof BoardError) {
        if (countRefusals) metrics.rejected.inc({ reason: error.code });
        return errorReply(error);
      }
      log.error("unexpected error", errorFields(error));
      return errorReply(internalError());
    }
  };

  // A closing instance takes no new posts or streams, so that they go to another; history is still read.
  const refuseWhileClosing = () => {
    if (lifecycle.closing) throw shuttingDown();
  };

  const readHistory =
    (shape: "history" | "list"): Handler =>
    (call) =>
      answer(async () => {
        const query = historyQuerySchema.safeParse(Object.fromEntries(searchParams(call)));
        if (!query.success) throw invalidQuery(query.error);
        const board = query.data.board ?? defaultBoard;
        await boards.require(board);
        const stored = await history.read(board, query.data.limit, reactorIn(call.headers.get("cookie")));
        return jsonReply(200, shape === "history" ? stored : stored.messages, { "Cache-Control": "no-store" });
      });

  /** Opens the board's stream the query names, from `resumeFrom` or the query's `after`. */
  const openStream = async (call: Call, resumeFrom: Position | null) => {
    const query = streamQuerySchema.safeParse(Object.fromEntries(searchParams(call)));
    if (!query.success) throw invalidQuery(query.error);
    const board = query.data.board ?? defaultBoard;
    const { attach } = await streams.open(clientAddress(call, clients.trustedHops), board, resumeFrom ?? parsePosition(query.data.after));
    return attach;
  };

  /** Who sent the request; a session that ended is forgotten by the browser too, whose next request is a guest's. */
  const signedIn = async (call: Call) => {
    try {
      return await people.whoIs(call.headers);
    } catch (error) {
      if (!(error instanceof BoardError) || error.code !== "session_ended") throw error;
      throw new ApiError(401, "session_ended", error.message, undefined, { "Set-Cookie": forgetSession(overHttps(call.headers)) });
    }
  };

  /** The signed-in actor of a change, from this site's pages only, within their allowance; undefined for a guest. */
  const moderator = async (call: Call) => {
    refuseWhileClosing();
    checkOrigin(call, clients.allowedOrigins, clients.trustedHops);
    const actor = await signedIn(call);
    if (actor) await takeAllowance(accountLimits.moderation, actor.id, "changes");
    return actor;
  };

  return {
    /**
     * Checks where the post comes from and how often, validates it and produces it, answering 201 only once
     * the broker has it. Cheap refusals come first, before the body is read.
     */
    post: async (call: Call): Promise<Reply> => {
      const requestId = requestIdOf(call);
      const reply = await answer(async () => {
        refuseWhileClosing();
        checkOrigin(call, clients.allowedOrigins, clients.trustedHops);
        const address = clientAddress(call, clients.trustedHops);
        await posting.admit(address);
        const author = await signedIn(call);
        if (author) await takeAllowance(accountLimits.posts, author.id, "posts");
        return jsonReply(201, await posting.post(await readJsonBody(call), requestId, author, senderOf(address)));
      }, true);
      reply.headers["X-Request-Id"] = requestId;
      return reply;
    },

    /** Every board, with when its newest message was stored and how many it had in the last minute. */
    boards: (call: Call) =>
      answer(async () => {
        const query = boardsQuerySchema.safeParse(Object.fromEntries(searchParams(call)));
        if (!query.success) throw invalidQuery(query.error);
        return jsonReply(200, { boards: await boards.list(query.data.sort) }, { "Cache-Control": "no-store" });
      }),

    /**
     * `PUT` gives a reaction, `DELETE` takes it back: 204 once the broker has it, whether or not it changes
     * anything. A reader without the board's cookie is given one here.
     */
    react:
      (on: boolean): Handler =>
      (call) =>
        answer(async () => {
          refuseWhileClosing();
          checkOrigin(call, clients.allowedOrigins, clients.trustedHops);
          await reacting.admit(clientAddress(call, clients.trustedHops));
          const { reactor, headers } = readerOf(call);
          await reacting.react({ id: call.params?.id ?? "", emoji: call.params?.emoji ?? "", reactor, on });
          return { status: 204, headers, body: "" };
        }),

    /** Creates a board: 201 once the list of boards has it, 202 when the broker has it and the list soon will. */
    createBoard: async (call: Call): Promise<Reply> =>
      answer(async () => {
        refuseWhileClosing();
        checkOrigin(call, clients.allowedOrigins, clients.trustedHops);
        const owner = await signedIn(call);
        const { board, settled } = await boards.create(await readJsonBody(call), clientAddress(call, clients.trustedHops), owner?.id);
        return jsonReply(settled ? 201 : 202, { board });
      }),

    /** `DELETE`: the author, the board's owner or an administrator deletes a message (204). */
    remove: (call: Call) =>
      answer(async () => {
        const actor = await moderator(call);
        await moderating.remove(call.params?.id ?? "", actor);
        return { status: 204, headers: {}, body: "" };
      }),

    /** `PATCH {"text"}`: the author edits a message within the edit window (200, the message as it now reads). */
    edit: (call: Call) =>
      answer(async () => {
        const actor = await moderator(call);
        return jsonReply(200, await moderating.edit(call.params?.id ?? "", await readJsonBody(call), actor));
      }),

    /** `PATCH {"locked"?, "guests"?}`: a board's moderators lock it; its owner lets guests post or not (204). */
    setRules: (call: Call) =>
      answer(async () => {
        const actor = await moderator(call);
        await moderating.setRules(call.params?.slug ?? "", await readJsonBody(call), actor);
        return { status: 204, headers: {}, body: "" };
      }),

    /** `PUT` names an account a moderator of the board, `DELETE` drops them: its owner only (204). */
    setModerator:
      (on: boolean): Handler =>
      (call) =>
        answer(async () => {
          const actor = await moderator(call);
          await moderating.setModerator(call.params?.slug ?? "", call.params?.account ?? "", on, actor);
          return { status: 204, headers: {}, body: "" };
        }),

    /** `POST {"message" | "account", "minutes"?}`: bans a message's author or an account from posting to the board (201). */
    ban: (call: Call) =>
      answer(async () => {
        const actor = await moderator(call);
        return jsonReply(201, await moderating.ban(call.params?.slug ?? "", await readJsonBody(call), actor));
      }),

    /** `DELETE /api/boards/<slug>/bans/<subject>`: lifts a ban (204). */
    unban: (call: Call) =>
      answer(async () => {
        const actor = await moderator(call);
        await moderating.unban(call.params?.slug ?? "", call.params?.subject ?? "", actor);
        return { status: 204, headers: {}, body: "" };
      }),

    /** `{epoch, messages}`, newest first. */
    history: readHistory("history"),
    /** The first design's shape: the messages alone. */
    list: readHistory("list"),

    /**
     * The live stream, resumed from the browser's Last-Event-ID after a reconnect, or from `?after=` on a
     * first connection.
     */
    stream: (call: Call) =>
      answer(async () => {
        refuseWhileClosing();
        return { status: 200, headers: SSE_HEADERS, attach: await openStream(call, parsePosition(call.headers.get("last-event-id"))) };
      }),

    /**
     * The same stream over a WebSocket: the same events as JSON messages, resumed from `?after=`. A page of
     * another site may open a WebSocket to any address, so its origin is checked as a post's is.
     */
    socket: (call: Call) =>
      answer(async () => {
        refuseWhileClosing();
        if (!call.websocket) throw upgradeRequired();
        checkOrigin(call, clients.allowedOrigins, clients.trustedHops);
        const { reactor, headers } = readerOf(call);
        const attach = await openStream(call, null);
        /** `{"event": "react", "data": {"id", "emoji", "on"}}` gives or takes back a reaction, as PUT and DELETE do. */
        const receive = async (message: string) => {
          const asked = socketRequestSchema.safeParse(safeJson(message));
          if (!asked.success) return socketReply("error", { code: "invalid_message", message: 'Send {"event": "react", "data": {"id", "emoji", "on"}}.' });
          const { id, emoji, on } = asked.data.data;
          try {
            await reacting.admit(clientAddress(call, clients.trustedHops));
            await reacting.react({ id, emoji, reactor, on });
            return socketReply("reacted", { id, emoji, on });
          } catch (error) {
            if (!(error instanceof BoardError)) throw error;
            return socketReply("error", { code: error.code, message: error.message, id, emoji });
          }
        };
        return { status: 200, headers, attach, receive };
      }),
  };
}
