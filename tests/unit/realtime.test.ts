import assert from "node:assert/strict";
import { silentLog } from "../support/silent-log";
import { test } from "node:test";
import { boardReadersSchema } from "../../src/lib/messages/boards";
import { insertMessage, insertMessages } from "../../src/lib/messages/board-order";
import { formatPosition, parsePosition, START } from "../../src/lib/messages/position";
import type { BoardEntries, StoredMessage } from "../../src/lib/messages/schema";
import { BoardHub } from "../../src/lib/realtime/board-hub";
import { encodeComment, encodeEvent } from "../../src/lib/realtime/sse";
import type { Head } from "../../src/lib/store/message-store";
import { uuidFromBytes, newMessageId } from "../../src/lib/messages/message-id";
import { messageIdSchema } from "../../src/lib/messages/schema";
import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import { waitFor } from "../../scripts/stack/wait";
import { encodeBoardEvent, Viewer } from "../../src/lib/realtime/viewer";
import { storedMessage } from "../support/messages";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const stored = storedMessage;

/** History as the store returns it: the newest `count` messages up to `newest`, newest first. */
function history(epoch: string, newest: number, count = newest): BoardEntries {
  const entries = Array.from({ length: Math.min(count, newest) }, (_, i) => stored(newest - i));
  return { epoch, entries };
}

/** A viewer whose output is recorded: the frames it would send, and whether it closed the stream. */
function recordingViewer(after: string | null) {
  const frames: string[] = [];
  let closed = false;
  const viewer = new Viewer({ send: (frame) => frames.push(decode(frame)), close: () => (closed = true) }, parsePosition(after));
  // A write may carry several events.
  const seqs = () => frames.flatMap((frame) => [...frame.matchAll(/^id: \w+-(\d+)$/gm)].map((match) => Number(match[1])));
  return { viewer, frames, seqs, closed: () => closed };
}

const live = (viewer: Viewer, epoch: string, seq: number) => {
  const event = { epoch, message: stored(seq) };
  viewer.deliver(event, encodeBoardEvent(event));
};

test("SSE frames: one data line per line of text, ids that cannot break a frame", () => {
  assert.equal(decode(encodeEvent({ id: "e-1", data: "a\nb" })), "id: e-1\ndata: a\ndata: b\n\n");
  assert.equal(decode(encodeEvent({ id: "x\ny", event: "re\rset", data: "" })), "id: xy\nevent: reset\ndata: \n\n");
  assert.equal(decode(encodeComment("ping")), ": ping\n\n");
});

test("positions round-trip and anything malformed is no position", () => {
  assert.deepEqual(parsePosition(formatPosition("abc123", 42)), { epoch: "abc123", seq: 42 });
  assert.deepEqual(parsePosition("start"), START);
  for (const bad of ["", "abc", "abc-", "-5", "ABC-1", "a b-1", "abc-1\n"]) assert.equal(parsePosition(bad), null, bad);
});

test("a resuming viewer gets exactly what it missed, in order, then live messages once each", () => {
  const { viewer, seqs, closed } = recordingViewer("ep-3");
  live(viewer, "ep", 6); // arrives while history is being read
  live(viewer, "ep", 7);
  viewer.catchUp(history("ep", 6));
  live(viewer, "ep", 7); // a duplicate, as after a Redis reconnect
  live(viewer, "ep", 8);
  assert.deepEqual(seqs(), [4, 5, 6, 7, 8]);
  assert.equal(closed(), false);
});

test("a viewer that missed more than the history holds is told to reload", () => {
  const { viewer, frames, closed } = recordingViewer("ep-3");
  viewer.catchUp(history("ep", 200, 100));
  assert.match(frames.join(""), /event: reset\ndata: \{"reason":"history-trimmed"\}/);
  assert.equal(closed(), true);
});

test("a viewer from a store that lost its data is told to reload", () => {
  const { viewer, frames, closed } = recordingViewer("old-50");
  viewer.catchUp(history("new", 2));
  assert.match(frames.join(""), /"reason":"store-restarted"/);
  assert.equal(closed(), true);
});

test("'start' gets the whole history; no position gets only what comes next", () => {
  const fromStart = recordingViewer("start");
  fromStart.viewer.catchUp(history("ep", 3));
  assert.deepEqual(fromStart.seqs(), [1, 2, 3]);

  const fromNow = recordingViewer(null);
  fromNow.viewer.catchUp(history("ep", 3));
  live(fromNow.viewer, "ep", 3);
  live(fromNow.viewer, "ep", 4);
  assert.deepEqual(fromNow.seqs(), [4]);
});

test("the board list stays newest first, without duplicates, within its limit", () => {
  let list: StoredMessage[] = [];
  for (const seq of [2, 1, 3, 3, 5, 4]) list = insertMessage(list, stored(seq), 4);
  assert.deepEqual(
    list.map((message) => message.seq),
    [5, 4, 3, 2],
  );
});

test("events published together reach each viewer in one write, in order; a viewer out of step gets what it lacks", async () => {
  const { hub, subscriber, frames, seqs } = hubWith({ history: async () => history("e", 1) });
  const ahead = recordingViewer("e-3");
  ahead.viewer.catchUp(history("e", 3));
  hub.add("main", ahead.viewer);
  try {
    for (const seq of [2, 3, 4]) subscriber.publish("e", seq);
    await waitFor("the events", () => seqs().length === 3);
    assert.deepEqual(seqs(), [2, 3, 4]);
    assert.equal(frames.filter((frame) => frame.startsWith("id: ")).length, 1, "one write for the three");
    assert.deepEqual(ahead.seqs(), [4], "a viewer that has 3 already gets 4 alone");
  } finally {
    await hub.close();
  }
});

test("a batch of messages lands as one by one would, whether it is all newer or mixed with ones already shown", () => {
  const seqs = (list: StoredMessage[]) => list.map((message) => message.seq);
  const list = [5, 4, 3].map((seq) => stored(seq));
  assert.deepEqual(seqs(insertMessages(list, [6, 7, 8].map(stored), 5)), [8, 7, 6, 5, 4]);
  for (const batch of [[4, 6], [7, 6], [6, 6, 9], [1]]) {
    const oneByOne = batch.reduce((current, seq) => insertMessage(current, stored(seq), 5), list);
    assert.deepEqual(seqs(insertMessages(list, batch.map(stored), 5)), seqs(oneByOne), `batch ${batch.join(",")}`);
  }
});

test("a viewer that is sent a position past the next one ends its stream rather than skip", () => {
  const { viewer, seqs, closed } = recordingViewer("e-2");
  viewer.catchUp(history("e", 3));
  live(viewer, "e", 5);
  assert.deepEqual(seqs(), [3]);
  assert.ok(closed(), "the browser resumes from 3 and catches up");
});

/** The hub's Redis subscriber, reduced to what the hub uses: events in, subscribe, disconnect. */
class Subscriber extends EventEmitter {
  subscribe = async () => 1;
  disconnect() {}
  publish(epoch: string, seq: number, board = "main") {
    this.emit("message", "board", JSON.stringify({ epoch, message: { ...stored(seq), board, storedAt: 1000 + seq } }));
  }
  announce(board: unknown) {
    this.emit("message", "boards", JSON.stringify(board));
  }
}

function hubWith(store: { history: () => Promise<BoardEntries>; head?: () => Promise<Head | null> }, activityMs?: number) {
  const subscriber = new Subscriber();
  const hub = new BoardHub({
    subscriber: subscriber as unknown as Redis,
    channel: "board",
    boardsChannel: "boards",
    readHistory: store.history,
    readHead: store.head ?? (async () => null),
    heartbeatMs: 60_000,
    checkMs: 5,
    activityMs,
    log: silentLog,
  });
  const watcher = recordingViewer("e-1");
  watcher.viewer.catchUp(history("e", 1));
  hub.add("main", watcher.viewer);
  return { hub, subscriber, ...watcher };
}

test("the hub fills a gap in live positions from history, holding later events until then", async () => {
  let readHistory: (value: BoardEntries) => void = () => {};
  const { hub, subscriber, seqs } = hubWith({ history: () => new Promise((resolve) => (readHistory = resolve)) });
  try {
    subscriber.publish("e", 2);
    subscriber.publish("e", 4); // 3 was lost on the way
    subscriber.publish("e", 5);
    await waitFor("the event before the gap", () => seqs().length > 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seqs(), [2], "nothing past the gap before it is filled");
    readHistory(history("e", 4));
    await waitFor("the fill", () => seqs().length === 4);
    assert.deepEqual(seqs(), [2, 3, 4, 5]);
  } finally {
    await hub.close();
  }
});

test("the hub fetches a message that was stored but never published to it", async () => {
  const { hub, subscriber, seqs } = hubWith({ history: async () => history("e", 3), head: async () => ({ epoch: "e", seq: 3 }) });
  try {
    subscriber.publish("e", 2);
    await waitFor("the missing message", () => seqs().includes(3));
    assert.deepEqual(seqs(), [2, 3]);
  } finally {
    await hub.close();
  }
});

test("the hub gives each viewer its own board's messages, and every viewer the list of boards as it changes", async () => {
  const { hub, subscriber, seqs, frames } = hubWith({ history: async () => history("e", 1) }, 5);
  const other = recordingViewer("e-0");
  other.viewer.catchUp({ epoch: "e", entries: [] });
  hub.add("kafka", other.viewer);
  try {
    subscriber.publish("e", 2);
    subscriber.publish("e", 1, "kafka");
    subscriber.publish("e", 3);
    subscriber.publish("e", 2, "kafka");
    subscriber.announce({ id: "00000000-0000-4000-8000-000000000001", slug: "new-one", name: "New one", createdAt: "2026-01-01T00:00:00.000Z" });
    subscriber.announce({ slug: "not a board" });
    await waitFor("the messages", () => seqs().length === 2 && other.seqs().length === 2);
    assert.deepEqual(seqs(), [2, 3], "main's viewer: main's positions only");
    assert.deepEqual(other.seqs(), [1, 2], "kafka's viewer: its own, counted on its own");
    assert.ok(other.frames.every((frame) => !frame.includes("message 3")));
    for (const seen of [frames, other.frames]) {
      assert.deepEqual(
        seen.filter((frame) => frame.startsWith("event: board")),
        ['event: board\ndata: {"slug":"new-one","name":"New one","latestAt":null}\n\n'],
        "a new board once, and nothing for what is no board",
      );
    }
    await waitFor("the activity", () => frames.some((frame) => frame.startsWith("event: activity")));
    const activity = frames.filter((frame) => frame.startsWith("event: activity"));
    assert.deepEqual(activity, ['event: activity\ndata: {"main":1003,"kafka":1002}\n\n'], "the newest of each board, once");
  } finally {
    await hub.close();
  }
});

test("message ids are UUIDs the schema accepts, also when built from random bytes", () => {
  assert.ok(messageIdSchema.safeParse(newMessageId()).success);
  for (const fill of [0x00, 0xff, 0x5a]) {
    const id = uuidFromBytes(new Uint8Array(16).fill(fill));
    assert.ok(messageIdSchema.safeParse(id).success, id);
  }
});

test("readers: a newcomer hears the board's count at once, the others a change at most once a second; leaving takes the count back", async () => {
  const written: [string, number][] = [];
  const hub = new BoardHub({
    subscriber: new Subscriber() as unknown as Redis,
    channel: "board",
    boardsChannel: "boards",
    readHistory: async () => history("e", 1),
    readHead: async () => null,
    heartbeatMs: 60_000,
    log: silentLog,
    // Ten more read the board on other instances.
    readers: {
      channel: "readers",
      tickMs: 50,
      sync: async (counts) => {
        written.push(...counts);
        return new Map([...counts].map(([board, count]) => [board, count + 10]));
      },
      announce: async () => 1,
    },
  });
  const counts = (frames: string[]) =>
    frames.flatMap((frame) => [...frame.matchAll(/^event: presence\ndata: (.*)$/gm)].map((match) => boardReadersSchema.parse(JSON.parse(match[1]!)).count));
  const first = recordingViewer(null);
  const second = recordingViewer(null);
  hub.add("main", first.viewer);
  await waitFor("the first viewer's count", () => counts(first.frames).length === 1);
  assert.deepEqual(counts(first.frames), [11]);
  hub.add("main", second.viewer);
  await waitFor("the newcomer's count", () => counts(second.frames).length === 1);
  assert.deepEqual(counts(second.frames), [12]);
  assert.deepEqual(counts(first.frames), [11], "the others wait for the next round");
  await waitFor("the others to hear the change within a second or so", () => counts(first.frames).length === 2, { timeoutMs: 2000 });
  assert.deepEqual(counts(first.frames), [11, 12]);
  await hub.close();
  assert.deepEqual(written.at(-1), ["main", 0], "this process's readers taken back");
});
