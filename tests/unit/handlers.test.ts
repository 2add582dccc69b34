// The post and stream handlers with every dependency replaced: what a client gets back, and what reached
// the producer, the rate limit and the hub, for each way a request can go.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createBoards } from "../../src/lib/board/boards";
import { boardHistory } from "../../src/lib/board/history";
import { createPosting } from "../../src/lib/board/posting";
import { createReacting } from "../../src/lib/board/reacting";
import type { Reaction } from "../../src/lib/messages/reactions";
import { createStreams, type StreamSink } from "../../src/lib/board/streams";
import { isStream, type Answer, type Call, type Reply } from "../../src/lib/http/call";
import { createRouter } from "../../src/lib/http/router";
import { messageRoutes } from "../../src/lib/http/routes/messages";
import { KafkaUnavailableError, type Acknowledgement } from "../../src/lib/kafka/producer";
import type { Board, BoardRule } from "../../src/lib/messages/boards";
import { randomUUID } from "node:crypto";
import { formatPosition } from "../../src/lib/messages/position";
import { messageSchema, type History, type Message, type MessageChange } from "../../src/lib/messages/schema";
import { createModerating } from "../../src/lib/board/moderating";
import { BoardError } from "../../src/lib/board/errors";
import type { People, Person } from "../../src/lib/accounts/people";
import { createWebMetrics } from "../../src/lib/metrics/web-metrics";
import { StreamGate } from "../../src/lib/realtime/stream-gate";
import type { Viewer } from "../../src/lib/realtime/viewer";
import { encodeBoardEvent } from "../../src/lib/realtime/viewer";
import type { RateDecision } from "../../src/lib/store/rate-limit";
import { call } from "../support/call";
import { silentLog } from "../support/silent-log";
import { storedMessage } from "../support/messages";

const JSON_POST = { "content-type": "application/json" };

const stored = storedMessage;
const KNOWN_MESSAGE = "0b7e4a52-3f57-4a8e-9d3e-5c6f2a1b9d10";
const ADAS = "1b7e4a52-3f57-4a8e-9d3e-5c6f2a1b9d11";
const GUESTS = "2b7e4a52-3f57-4a8e-9d3e-5c6f2a1b9d12";
const ADAS_OLD = "3b7e4a52-3f57-4a8e-9d3e-5c6f2a1b9d13";

/** Signed-in people, by the session cookie their requests carry; any other session cookie has ended. */
const PEOPLE: Record<string, Person> = {
  "board.session_token=ada": { id: "acc-ada", name: "Ada", admin: false },
  "board.session_token=bob": { id: "acc-bob", name: "Bob", admin: false },
  "board.session_token=root": { id: "acc-root", name: "Root", admin: true },
};
const fakePeople: People = {
  enabled: true,
  whoIs: async (headers) => {
    const cookie = headers.get("cookie");
    if (!cookie) return undefined;
    const person = PEOPLE[cookie];
    if (!person) throw new BoardError("session_ended", "Your session has ended: sign in again.");
    return person;
  },
  nameTaken: async (name) => Object.values(PEOPLE).some((person) => person.name.toLowerCase() === name.toLowerCase()),
  exists: async (id) => Object.values(PEOPLE).some((person) => person.id === id),
};

/** The handlers over fakes that record what they were asked. */
function board({
  produce,
  rate,
  history,
  ready,
}: { produce?: (message: Message) => Promise<Acknowledgement>; rate?: RateDecision; history?: History; ready?: () => Promise<void> } = {}) {
  const produced: { message: Message; requestId?: string }[] = [];
  const limited: string[] = [];
  const viewers = new Set<Viewer>();
  const metrics = createWebMetrics(() => viewers.size);
  const lifecycle = { closing: false };
  const gate = new StreamGate({ perClient: 2, perProcess: 3 });
  const stored = history ?? { epoch: "e1", messages: [] };
  // Bob's board, which he owns.
  const created = new Map<string, Board>([["bobs", { id: randomUUID(), slug: "bobs", name: "Bob's", createdAt: new Date().toISOString(), owner: "acc-bob" }]]);
  const rules: BoardRule[] = [];
  /** The rules as the store would hold them after the rules produced so far. */
  const rulesOf = async (slug: string) => {
    const now = { locked: false, guests: true, moderators: new Set<string>(), bans: new Map<string, number | null>() };
    for (const rule of rules.filter((each) => each.board === slug)) {
      if (rule.kind === "moderator") now.moderators[rule.on ? "add" : "delete"](rule.account);
      if (rule.kind === "lock") now.locked = rule.locked;
      if (rule.kind === "guests") now.guests = rule.allowed;
      if (rule.kind === "ban") now.bans.set(rule.subject, rule.until === null ? null : Date.parse(rule.until));
      if (rule.kind === "unban") now.bans.delete(rule.subject);
    }
    return { ...now, moderators: [...now.moderators] };
  };
  const boards = createBoards({
    defaultBoard: "main",
    defaultName: "main",
    store: { board: async (slug) => created.get(slug), boards: async () => [], activity: async () => null, windows: async () => new Map(), rules: rulesOf },
    produce: async (record) => void ("kind" in record ? rules.push(record) : created.set(record.slug, record)),
    limiter: { take: async () => ({ allowed: true }) },
    log: silentLog,
  });
  const reactions: Reaction[] = [];
  const changes: MessageChange[] = [];
  // Ada's message on Bob's board, and a guest's; Ada's old one is past the edit window.
  const messages = new Map<string, Message>(
    [
      { ...storedMessage(1), id: ADAS, board: "bobs", account: { id: "acc-ada", name: "Ada" }, author: "Ada", createdAt: new Date().toISOString() },
      { ...storedMessage(2), id: GUESTS, board: "bobs" },
      { ...storedMessage(3), id: ADAS_OLD, board: "bobs", account: { id: "acc-ada", name: "Ada" }, createdAt: new Date(Date.now() - 3_600_000).toISOString() },
    ].map((message) => [message.id, message]),
  );
  const moderating = createModerating({
    find: async (id) => (changes.some((change) => change.kind === "delete" && change.target === id) ? undefined : messages.get(id)),
    boards,
    accountExists: async (id) => Object.values(PEOPLE).some((person) => person.id === id),
    // The guest's message came from 198.51.100.7.
    senderOf: async () => "digest-of-198.51.100.7",
    produce: async (change) => changes.push(change),
    editWindowMs: 900_000,
    log: silentLog,
  });
  const routes = messageRoutes({
    boards,
    people: fakePeople,
    accountLimits: { posts: { take: async () => rate ?? { allowed: true } }, moderation: { take: async () => rate ?? { allowed: true } } },
    moderating,
    senderOf: (address: string) => `digest-of-${address}`,
    reacting: createReacting({
      boardOf: async (id) => (id === KNOWN_MESSAGE ? "main" : undefined),
      produce: async (reaction) => reactions.push(reaction),
      limiter: { take: async (client) => (limited.push(client), rate ?? { allowed: true }) },
      log: silentLog,
    }),
    defaultBoard: "main",
    posting: createPosting({
      defaultBoard: "main",
      boards,
      producer: {
        publish: async (message, requestId) => {
          produced.push({ message, requestId });
          return produce ? produce(message) : { partition: 0, offset: String(produced.length - 1) };
        },
      },
      limiter: { take: async (client) => (limited.push(client), rate ?? { allowed: true }) },
      nameTaken: fakePeople.nameTaken,
      admit: (slug, author, sender) => moderating.admitPost(slug, author, sender),
      metrics,
      log: silentLog,
    }),
    streams: createStreams({
      hub: { ready: ready ?? (async () => {}), add: (_, viewer) => void viewers.add(viewer), remove: (_, viewer) => void viewers.delete(viewer) },
      readHistory: async () => ({ epoch: stored.epoch, entries: stored.messages }),
      boards,
      gate,
      limits: { perClient: 2, bufferBytes: 64 },
      log: silentLog,
    }),
    history: boardHistory(async () => stored, 100, silentLog),
    lifecycle,
    clients: { trustedHops: 0, allowedOrigins: [] },
    metrics,
    log: silentLog,
  });
  const rejected = async (reason: string) => (await metrics.rejected.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
  return { routes, produced, limited, viewers, lifecycle, gate, rejected, created, reactions, changes, rules };
}

/** A reaction request through the route table, which hands the handler the path's id and emoji. */
function react(routes: ReturnType<typeof board>["routes"], method: "PUT" | "DELETE", request: Call): Promise<Answer> {
  const route = createRouter({ "/api/messages/:id/reactions/:emoji": { PUT: routes.react(true), DELETE: routes.react(false) } }, () => true);
  const handler = route(method, new URL(request.url, "http://localhost").pathname);
  if (!handler) throw new Error(`no route for ${request.url}`);
  return handler(request);
}

const bodyOf = (answer: Answer) =>
  JSON.parse((answer as Reply).body) as { error?: { code: string; fields?: Record<string, string> } } & Record<string, unknown>;

/** A body that fails the test if a handler reads it. */
const unread = () => ({
  ...call({ headers: JSON_POST }),
  body: {
    [Symbol.asyncIterator]: () => {
      throw new Error("the body was read");
    },
  },
});

test("a valid post is produced once, with the caller's request id, and answered 201 with the message", async () => {
  const { routes, produced } = board();
  const answer = await routes.post(call({ headers: { ...JSON_POST, "x-request-id": "req-1" }, body: JSON.stringify({ text: " hello ", author: "Ann" }) }));
  assert.equal(answer.status, 201);
  assert.equal(answer.headers["X-Request-Id"], "req-1");
  const message = messageSchema.parse(bodyOf(answer));
  assert.equal(message.text, "hello", "trimmed");
  assert.deepEqual(produced, [{ message, requestId: "req-1" }]);
});

test("boards: made once per slug; bad input, a taken slug and an unknown board refused, with nothing produced", async () => {
  const { routes, produced, created } = board();
  const post = (body: unknown) => routes.createBoard(call({ headers: JSON_POST, body: JSON.stringify(body) }));
  const made = await post({ name: "Night owls" });
  assert.equal(made.status, 201);
  assert.deepEqual(bodyOf(made), { board: { slug: "night-owls", name: "Night owls", latestAt: null } });
  for (const [body, status, code] of [
    [{ name: "Night Owls!" }, 409, "board_exists"],
    [{ name: "x", slug: "main" }, 409, "board_exists"],
    [{ name: "" }, 400, "invalid_board"],
    [{ name: "?!" }, 400, "invalid_board"],
    [{ name: "x", slug: "X Y" }, 400, "invalid_board"],
  ] as const) {
    const answer = await post(body);
    assert.deepEqual([answer.status, bodyOf(answer).error?.code], [status, code], JSON.stringify(body));
  }
  assert.deepEqual([...created.keys()], ["bobs", "night-owls"]);

  const toBoard = await routes.post(call({ headers: JSON_POST, body: JSON.stringify({ text: "hi", board: "night-owls" }) }));
  assert.equal(messageSchema.parse(bodyOf(toBoard)).board, "night-owls");
  const toNowhere = await routes.post(call({ headers: JSON_POST, body: JSON.stringify({ text: "hi", board: "nowhere" }) }));
  assert.deepEqual([toNowhere.status, bodyOf(toNowhere).error?.code], [404, "unknown_board"]);
  const stream = await routes.stream(call({ url: "/api/messages/stream?board=nowhere" }));
  assert.equal(stream.status, 404);
  assert.deepEqual(
    produced.map(({ message }) => message.board),
    ["night-owls"],
  );
});

test("over the rate limit: 429 with Retry-After, before the body is read, and nothing produced", async () => {
  const { routes, produced, rejected } = board({ rate: { allowed: false, retryAfterSeconds: 7 } });
  const answer = await routes.post(unread());
  assert.equal(answer.status, 429);
  assert.equal(answer.headers["Retry-After"], "7");
  assert.equal(bodyOf(answer).error?.code, "too_many_requests");
  assert.equal(produced.length, 0);
  assert.equal(await rejected("too_many_requests"), 1);
});

test("an invalid post: 400 naming each bad field, nothing produced", async () => {
  const { routes, produced } = board();
  const answer = await routes.post(call({ headers: JSON_POST, body: JSON.stringify({ text: "", author: 5, extra: true }) }));
  assert.equal(answer.status, 400);
  const { error } = bodyOf(answer);
  assert.equal(error?.code, "invalid_message");
  assert.deepEqual(Object.keys(error?.fields ?? {}).sort(), ["author", "body", "text"]);
  assert.equal(produced.length, 0);
});

test("Kafka unavailable: 503 kafka_unavailable; any other failure: a 500 without details", async () => {
  const down = board({ produce: () => Promise.reject(new KafkaUnavailableError("broker gone")) });
  const refused = await down.routes.post(call({ headers: JSON_POST, body: `{"text":"hi"}` }));
  assert.equal(refused.status, 503);
  assert.equal(bodyOf(refused).error?.code, "kafka_unavailable");
  assert.equal(await down.rejected("kafka_unavailable"), 1);

  const broken = board({ produce: () => Promise.reject(new Error("secret detail")) });
  const failed = await broken.routes.post(call({ headers: JSON_POST, body: `{"text":"hi"}` }));
  assert.equal(failed.status, 500);
  assert.doesNotMatch(failed.body, /secret/);
});

test("a post from another site's page is refused before it costs the client a token", async () => {
  const { routes, limited, produced } = board();
  const answer = await routes.post({ ...unread(), headers: call({ headers: { ...JSON_POST, host: "board.test", origin: "https://evil.example" } }).headers });
  assert.equal(answer.status, 403);
  assert.deepEqual([limited.length, produced.length], [0, 0]);
});

test("the rate limit counts the connection's address, whatever the request claims", async () => {
  const { routes, limited } = board();
  await routes.post(call({ peer: "10.0.0.9", headers: { ...JSON_POST, "x-forwarded-for": "1.1.1.1", "x-peer-address": "2.2.2.2" }, body: `{"text":"hi"}` }));
  assert.deepEqual(limited, ["10.0.0.9"]);
});

test("while shutting down, posts and streams get 503 shutting_down and Connection: close; history is still read", async () => {
  const { routes, lifecycle, produced } = board();
  lifecycle.closing = true;
  for (const answer of [await routes.post(unread()), await routes.stream(call({ url: "/api/messages/stream" }))]) {
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.Connection, "close");
    assert.equal(bodyOf(answer).error?.code, "shutting_down");
  }
  assert.equal(produced.length, 0);
  assert.equal((await routes.history(call({ url: "/api/messages" }))).status, 200, "history is still read");
});

/** Attaches a sink that records what the stream writes. */
function open(answer: Answer, { queued = () => 0 }: { queued?: (written: number) => number } = {}) {
  assert.ok(isStream(answer), `a stream, not ${answer.status}`);
  const chunks: string[] = [];
  let written = 0;
  let ended: { dropped?: Error } | undefined;
  const sink: StreamSink = {
    write: (chunk) => {
      written += chunk.byteLength;
      chunks.push(new TextDecoder().decode(chunk));
    },
    queuedBytes: () => queued(written),
    end: (dropped) => (ended = { dropped }),
  };
  const gone = answer.attach(sink);
  const ids = () => chunks.flatMap((chunk) => /^id: (\S+)$/m.exec(chunk)?.[1] ?? []);
  return { chunks, ids, gone, ended: () => ended };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a stream resumed from a position gets what it missed, then live messages, each once and in order", async () => {
  const { routes, viewers } = board({ history: { epoch: "e1", messages: [stored(3), stored(2), stored(1)] } });
  const answer = await routes.stream(call({ url: "/api/messages/stream", headers: { "last-event-id": formatPosition("e1", 1) } }));
  assert.equal(answer.status, 200);
  assert.match(answer.headers["Content-Type"] ?? "", /^text\/event-stream/);
  const stream = open(answer);
  assert.equal(viewers.size, 1);
  // Live before the history was read: held, then sent after the catch-up without a repeat.
  for (const viewer of viewers)
    for (const seq of [3, 4]) viewer.deliver({ epoch: "e1", message: stored(seq) }, encodeBoardEvent({ epoch: "e1", message: stored(seq) }));
  await settle();
  assert.match(stream.chunks[0] ?? "", /^retry: \d+/);
  assert.deepEqual(stream.ids(), ["e1-2", "e1-3", "e1-4"]);
  stream.gone();
  assert.equal(viewers.size, 0, "the hub forgets a viewer that went away");
});

test("streams per client are limited (429, Retry-After) and a closed stream frees its place", async () => {
  const { routes } = board();
  const first = open(await routes.stream(call({ url: "/api/messages/stream" })));
  open(await routes.stream(call({ url: "/api/messages/stream" })));
  const third = await routes.stream(call({ url: "/api/messages/stream" }));
  assert.equal(third.status, 429);
  assert.equal(third.headers["Retry-After"], "5");
  assert.equal(bodyOf(third).error?.code, "too_many_streams");
  assert.equal((await routes.stream(call({ url: "/api/messages/stream", peer: "10.0.0.2" }))).status, 200, "another client is not affected");
  first.gone();
  assert.equal((await routes.stream(call({ url: "/api/messages/stream" }))).status, 200);
});

test("Redis unreachable: the stream is refused with 503 store_unavailable and holds no place", async () => {
  const { routes, gate } = board({ ready: () => Promise.reject(new Error("ECONNREFUSED")) });
  const answer = await routes.stream(call({ url: "/api/messages/stream" }));
  assert.equal(answer.status, 503);
  assert.equal(bodyOf(answer).error?.code, "store_unavailable");
  assert.equal(gate.open, 0);
});

test("a viewer that does not read is disconnected once its buffer is full; one that reads is not", async () => {
  let queued = 0;
  const { routes, viewers } = board();
  const stream = open(await routes.stream(call({ url: "/api/messages/stream" })), { queued: () => queued });
  await settle();
  const [viewer] = viewers;
  assert.ok(viewer);
  viewer.deliver({ epoch: "e1", message: stored(1) }, encodeBoardEvent({ epoch: "e1", message: stored(1) }));
  assert.equal(stream.ended(), undefined, "within the buffer");
  queued = 65;
  viewer.deliver({ epoch: "e1", message: stored(2) }, encodeBoardEvent({ epoch: "e1", message: stored(2) }));
  assert.match(String(stream.ended()?.dropped), /too slow/);
  assert.equal(viewers.size, 0);
});

test("a catch-up larger than the buffer, none of it read yet, does not disconnect the viewer", async () => {
  const history = { epoch: "e1", messages: Array.from({ length: 40 }, (_, i) => ({ ...stored(40 - i), text: "€".repeat(1000) })) };
  const { routes } = board({ history });
  // The viewer reads nothing: all that was written waits for it.
  const stream = open(await routes.stream(call({ url: "/api/messages/stream", headers: { "last-event-id": "e1-0" } })), {
    queued: (written) => written,
  });
  await settle();
  assert.equal(stream.ids().length, 40, "the whole catch-up, about 120 KB against a buffer of 64 bytes");
  assert.equal(stream.ended(), undefined, "still connected");
});

test("reactions: given and taken back with one identity per browser; unknown emoji 400, unknown message 404, nothing produced for either", async () => {
  const { routes, reactions } = board();
  const path = (id: string, emoji: string) => `/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
  const given = await react(routes, "PUT", call({ url: path(KNOWN_MESSAGE, "👍") }));
  assert.equal(given.status, 204);
  const cookie = /^board_reader=([\w-]+);.*HttpOnly; SameSite=Lax/.exec(given.headers["Set-Cookie"] ?? "");
  assert.ok(cookie, "a reader without the cookie is given one");
  const again = await react(routes, "DELETE", call({ url: path(KNOWN_MESSAGE, "👍"), headers: { cookie: `theme=dark; board_reader=${cookie[1]}` } }));
  assert.equal(again.status, 204);
  assert.equal(again.headers["Set-Cookie"], undefined, "a known reader keeps its cookie");
  assert.deepEqual(
    reactions.map(({ message, board, emoji, on }) => ({ message, board, emoji, on })),
    [
      { message: KNOWN_MESSAGE, board: "main", emoji: "👍", on: true },
      { message: KNOWN_MESSAGE, board: "main", emoji: "👍", on: false },
    ],
  );
  assert.equal(reactions[0]?.reactor, reactions[1]?.reactor, "one reader, one identity");
  assert.ok(!reactions[0]?.reactor.includes(cookie[1] ?? ""), "the cookie itself never reaches the log");

  for (const [url, status, field] of [
    [path(KNOWN_MESSAGE, "🦄"), 400, "emoji"],
    [path(KNOWN_MESSAGE, "%E0%A4%A"), 400, "emoji"],
    [path("not-a-uuid", "👍"), 400, "id"],
    [path("1c7e4a52-3f57-4a8e-9d3e-5c6f2a1b9d10", "👍"), 404, undefined],
  ] as const) {
    const answer = await react(routes, "PUT", call({ url }));
    assert.equal(answer.status, status, url);
    if (field) assert.ok(bodyOf(answer).error?.fields?.[field], `${url} names ${field}`);
  }
  assert.equal(reactions.length, 2);
});

test("reactions over the rate limit: 429 with Retry-After, and nothing produced", async () => {
  const { routes, reactions } = board({ rate: { allowed: false, retryAfterSeconds: 3 } });
  const answer = await react(routes, "PUT", call({ url: `/api/messages/${KNOWN_MESSAGE}/reactions/${encodeURIComponent("👍")}` }));
  assert.deepEqual([answer.status, answer.headers["Retry-After"], bodyOf(answer).error?.code], [429, "3", "too_many_requests"]);
  assert.equal(reactions.length, 0);
});

/** A change request through the route table, as a signed-in person (`as`: their session cookie) or a guest. */
function change(routes: ReturnType<typeof board>["routes"], method: "DELETE" | "PATCH", id: string, as?: string, body?: unknown): Promise<Answer> {
  const route = createRouter({ "/api/messages/:id": { DELETE: routes.remove, PATCH: routes.edit } }, () => true);
  const handler = route(method, `/api/messages/${id}`);
  if (!handler) throw new Error("no route");
  const headers: Record<string, string> = { ...(as && { cookie: `board.session_token=${as}` }), ...(body !== undefined && JSON_POST) };
  return handler(call({ url: `/api/messages/${id}`, headers, ...(body !== undefined && { body: JSON.stringify(body) }) }));
}

test("deleting: no session 401, an ended one 401, a plain account 403, the author, the board's owner and an administrator 204, then 404", async () => {
  const { routes, changes } = board();
  const status = async (answer: Promise<Answer>) => (await answer).status;
  assert.equal(await status(change(routes, "DELETE", GUESTS)), 401);
  assert.equal(bodyOf(await change(routes, "DELETE", GUESTS, "forged")).error?.code, "session_ended");
  assert.equal(await status(change(routes, "DELETE", GUESTS, "forged")), 401);
  assert.equal(await status(change(routes, "DELETE", GUESTS, "ada")), 403, "Ada neither wrote it nor owns the board");
  assert.equal(changes.length, 0, "refusals change nothing");
  assert.equal(await status(change(routes, "DELETE", GUESTS, "bob")), 204, "Bob owns the board");
  assert.equal(await status(change(routes, "DELETE", ADAS, "ada")), 204, "Ada wrote it");
  assert.equal(await status(change(routes, "DELETE", ADAS_OLD, "root")), 204, "an administrator");
  assert.deepEqual(
    changes.map(({ kind, target, board: slug, by }) => ({ kind, target, board: slug, by })),
    [
      { kind: "delete", target: GUESTS, board: "bobs", by: "acc-bob" },
      { kind: "delete", target: ADAS, board: "bobs", by: "acc-ada" },
      { kind: "delete", target: ADAS_OLD, board: "bobs", by: "acc-root" },
    ],
  );
  assert.equal(await status(change(routes, "DELETE", ADAS, "ada")), 404, "already deleted");
  assert.equal(await status(change(routes, "DELETE", "not-a-uuid", "ada")), 404);
  assert.equal(await status(change(routes, "DELETE", KNOWN_MESSAGE, "root")), 404, "unknown");
});

test("editing: the author within the window 200 with editedAt; anyone else 403; after the window 409; bad text 400", async () => {
  const { routes, changes } = board();
  const edited = await change(routes, "PATCH", ADAS, "ada", { text: "  fixed  " });
  assert.equal(edited.status, 200);
  const body = bodyOf(edited);
  assert.equal(body.text, "fixed");
  assert.equal(body.id, ADAS);
  assert.ok(typeof body.editedAt === "string" && Date.parse(body.editedAt) > 0);
  assert.equal((await change(routes, "PATCH", ADAS, "bob", { text: "mine now" })).status, 403, "the board's owner may delete, not edit");
  assert.equal((await change(routes, "PATCH", ADAS, "root", { text: "mine now" })).status, 403);
  assert.equal((await change(routes, "PATCH", ADAS, undefined, { text: "x" })).status, 401);
  assert.equal(bodyOf(await change(routes, "PATCH", ADAS_OLD, "ada", { text: "too late" })).error?.code, "edit_window_closed");
  assert.equal((await change(routes, "PATCH", ADAS_OLD, "ada", { text: "too late" })).status, 409);
  for (const bad of [{ text: "" }, { text: "a\u0007b" }, { text: "x".repeat(1001) }, { text: "ok", author: "someone" }, {}, "text"]) {
    const answer = await change(routes, "PATCH", ADAS, "ada", bad);
    assert.equal(answer.status, 400, JSON.stringify(bad));
    assert.equal(bodyOf(answer).error?.code, "invalid_edit");
  }
  assert.deepEqual(
    changes.map(({ kind }) => kind),
    ["edit"],
  );
});

test("a signed-in author's post carries their account and name; a guest may not take an account's name", async () => {
  const { routes, produced } = board();
  const post = (as: string | undefined, body: unknown) =>
    routes.post(call({ headers: { ...JSON_POST, ...(as && { cookie: `board.session_token=${as}` }) }, body: JSON.stringify(body) }));
  const signedIn = await post("ada", { text: "hello", author: "Bob" });
  assert.equal(signedIn.status, 201);
  assert.deepEqual(produced.at(-1)?.message.account, { id: "acc-ada", name: "Ada" });
  assert.equal(produced.at(-1)?.message.author, "Ada", "the account's name, not the one in the body");
  const impostor = await post(undefined, { text: "hello", author: "ada" });
  assert.equal(impostor.status, 409);
  assert.equal(bodyOf(impostor).error?.code, "name_taken");
  assert.equal((await post(undefined, { text: "hello", author: "Carol" })).status, 201);
  assert.equal(produced.at(-1)?.message.account, undefined);
  assert.equal((await post("forged", { text: "hello" })).status, 401, "an ended session is not taken for a guest");
  assert.equal(produced.length, 2);
});

/** A board-rules request through the route table, as `as` (a session cookie's value) or a guest. */
function rule(routes: ReturnType<typeof board>["routes"], method: "PATCH" | "PUT" | "POST" | "DELETE", path: string, as?: string, body?: unknown) {
  const route = createRouter(
    {
      "/api/boards/:slug": { PATCH: routes.setRules },
      "/api/boards/:slug/moderators/:account": { PUT: routes.setModerator(true), DELETE: routes.setModerator(false) },
      "/api/boards/:slug/bans": { POST: routes.ban },
      "/api/boards/:slug/bans/:subject": { DELETE: routes.unban },
    },
    () => true,
  );
  const handler = route(method, path);
  if (!handler) throw new Error(`no route for ${method} ${path}`);
  const headers: Record<string, string> = { ...(as && { cookie: `board.session_token=${as}` }), ...(body !== undefined && JSON_POST) };
  return handler(call({ url: path, headers, ...(body !== undefined && { body: JSON.stringify(body) }) }));
}

test("the owner names moderators; moderators lock the board and ban; each is refused to anyone else, and posts follow the rules", async () => {
  const { routes, rules, changes } = board();
  const status = async (answer: Promise<Answer>) => (await answer).status;
  const post = (as: string | undefined, text: string, address = "203.0.113.1") =>
    routes.post(
      call({ headers: { ...JSON_POST, ...(as && { cookie: `board.session_token=${as}` }) }, body: JSON.stringify({ board: "bobs", text }), peer: address }),
    );

  assert.equal(await status(rule(routes, "PUT", "/api/boards/bobs/moderators/acc-ada", "ada")), 403, "only the owner names moderators");
  assert.equal(await status(rule(routes, "PUT", "/api/boards/bobs/moderators/acc-ada")), 401);
  assert.equal(await status(rule(routes, "PUT", "/api/boards/nope/moderators/acc-ada", "root")), 404, "an unknown board");
  assert.equal(await status(rule(routes, "PUT", "/api/boards/bobs/moderators/acc-nobody", "bob")), 404, "no such account");
  assert.equal(await status(rule(routes, "PUT", "/api/boards/bobs/moderators/acc-ada", "bob")), 204);
  // A guest banned by their message: the address it came from, as a digest, may not post; others may.
  const addressBan = await rule(routes, "POST", "/api/boards/bobs/bans", "ada", { message: GUESTS, minutes: 30 });
  assert.equal(addressBan.status, 201);
  assert.equal(bodyOf(addressBan).subject, "address:digest-of-198.51.100.7");
  const banned = await post(undefined, "spam again", "198.51.100.7");
  assert.equal(banned.status, 403);
  assert.equal(bodyOf(banned).error?.code, "banned");
  assert.match(await refusedMessage(banned), /banned from posting to this board until/);
  assert.equal((await post(undefined, "hello", "203.0.113.1")).status, 201, "another address posts");
  assert.equal(await status(change(routes, "DELETE", GUESTS, "ada")), 204, "a moderator deletes a guest's message");
  assert.equal(changes.at(-1)?.kind, "delete");

  assert.equal(await status(rule(routes, "PATCH", "/api/boards/bobs", "ada", { guests: false })), 403, "guests are the owner's to allow");
  assert.equal(await status(rule(routes, "PATCH", "/api/boards/bobs", "ada", { locked: true, colour: "red" })), 400);
  assert.equal(await status(rule(routes, "PATCH", "/api/boards/bobs", "ada", {})), 400);
  assert.equal(await status(rule(routes, "PATCH", "/api/boards/bobs", "ada", { locked: true })), 204);
  const locked = await post(undefined, "let me in");
  assert.equal(locked.status, 403);
  assert.equal(bodyOf(locked).error?.code, "board_locked");
  assert.equal((await post("ada", "a moderator still posts")).status, 201);
  assert.equal(await status(rule(routes, "PATCH", "/api/boards/bobs", "bob", { locked: false, guests: false })), 204);
  const guest = await post(undefined, "me again");
  assert.equal(guest.status, 401);
  assert.match(bodyOf(guest).error?.code ?? "", /sign_in_required/);
  assert.equal(await status(rule(routes, "PATCH", "/api/boards/bobs", "bob", { guests: true })), 204);

  // Bans: a guest by their message (the address it came from, as a digest), an account by id, for a while or for good.
  assert.equal(await status(rule(routes, "POST", "/api/boards/bobs/bans", undefined, { account: "acc-root" })), 401);
  assert.equal(await status(rule(routes, "POST", "/api/boards/bobs/bans", "root", { account: "acc-bob" })), 403, "not the owner");
  assert.equal(await status(rule(routes, "POST", "/api/boards/bobs/bans", "ada", { message: GUESTS, account: "x" })), 400);
  const byMessage = await rule(routes, "POST", "/api/boards/bobs/bans", "bob", { message: ADAS_OLD, minutes: 60 });
  assert.equal(byMessage.status, 201);
  assert.equal(bodyOf(byMessage).subject, "account:acc-ada", "the author of a signed-in post is their account");
  assert.equal(await status(rule(routes, "DELETE", "/api/boards/bobs/bans/account:acc-ada", "bob")), 204);
  assert.equal((await post("ada", "back again")).status, 201, "unbanned");
  assert.equal(await status(rule(routes, "POST", "/api/boards/bobs/bans", "bob", { message: KNOWN_MESSAGE })), 404);
  const forGood = await rule(routes, "POST", "/api/boards/bobs/bans", "bob", { account: "acc-ada" });
  assert.equal(bodyOf(forGood).until, null, "for good");
  const refused = await post("ada", "am I banned?");
  assert.equal(refused.status, 403);
  assert.equal(await refusedMessage(refused), "You have been banned from posting to this board.");
  assert.deepEqual(
    rules.map(({ kind }) => kind),
    ["moderator", "ban", "lock", "lock", "guests", "guests", "ban", "unban", "ban"],
  );
});

const refusedMessage = async (answer: Answer) => (JSON.parse((answer as Reply).body) as { error: { message: string } }).error.message;

test("with Redis away, a board's rules are those last read, and a board never read is open: posting needs only Kafka", async () => {
  let away = false;
  const boards = createBoards({
    defaultBoard: "main",
    defaultName: "main",
    store: {
      board: async () => undefined,
      boards: async () => [],
      activity: async () => null,
      windows: async () => new Map(),
      rules: async () => {
        if (away) throw new Error("Redis is away");
        return { locked: true, guests: false, moderators: ["acc-mod"], bans: new Map() };
      },
    },
    produce: async () => {},
    limiter: { take: async () => ({ allowed: true }) },
    log: silentLog,
  });
  assert.equal((await boards.rules("read")).locked, true);
  away = true;
  boards.forgetRules("read");
  assert.deepEqual(await boards.rules("read"), { locked: true, guests: false, moderators: ["acc-mod"], bans: new Map() }, "the rules last read stand");
  assert.equal((await boards.rules("never-read")).locked, false, "open until a rule is read");
});
