import assert from "node:assert/strict";
import { test } from "node:test";
import { boardPath, slugFromName } from "../../src/lib/messages/boards";
import { decodeRecord, encodeRecord } from "../../src/lib/kafka/record";
import { createMessage } from "../../src/lib/messages/create";
import { boardSlugSchema, foldEntries, isChange, newMessageSchema, type StoredEntry, type StoredMessage } from "../../src/lib/messages/schema";
import { applyChanges } from "../../src/lib/messages/board-order";
import { storedMessage } from "../support/messages";

const refused = (body: unknown) => !newMessageSchema.safeParse(body).success;

test("a post needs text that is a non-empty string", () => {
  for (const body of [{}, { text: "" }, { text: "   \n " }, { text: 42 }, { text: { nested: "x" } }, { text: ["a"] }, null, "text"]) {
    assert.ok(refused(body), `should refuse ${JSON.stringify(body)}`);
  }
});

test("text and author are trimmed and normalised; newlines and tabs stay", () => {
  const parsed = newMessageSchema.parse({ text: "  Cafe\u0301\n\tline two  ", author: " Ann " });
  assert.equal(parsed.text, "Café\n\tline two");
  assert.equal(parsed.author, "Ann");
});

test("limits: 1,000 characters of text, 40 of author, no control characters, no unknown fields", () => {
  assert.ok(!refused({ text: "x".repeat(1000) }));
  assert.ok(refused({ text: "x".repeat(1001) }));
  assert.ok(refused({ text: "hi", author: "a".repeat(41) }));
  assert.ok(refused({ text: "ring \u0007 bell" }));
  assert.ok(refused({ text: "hi", id: "chosen-by-client" }));
  assert.ok(refused({ text: "hi", seq: 1 }));
  assert.ok(refused(JSON.parse('{"text":"hi","__proto__":{"polluted":true}}')));
  assert.ok(refused({ text: "half a pair \ud800" }), "a lone surrogate is no text");
  assert.ok(refused({ text: "hi", author: "\udc00" }));
  assert.ok(!refused({ text: "a whole pair \ud83d\ude00" }));
  assert.ok(refused({ text: "hi", author: "\u202egnp.exe" }), "no bidirectional override");
  assert.ok(refused({ text: "\u200b\u200d" }), "nothing visible");
  assert.ok(!refused({ text: "שלום \u200f!" }), "right-to-left text with a direction mark is fine");
  assert.ok(!refused({ text: "hi", id: "5f0c6d3e-8a51-4c1b-9f3e-2b7d4a6c8e10" }), "a client may choose its message's id");
});

test("a message gets an id, a timestamp, its board and a default author", () => {
  const message = createMessage({ text: "hello" }, "main", new Date("2026-01-02T03:04:05Z"));
  assert.match(message.id, /^[0-9a-f-]{36}$/);
  assert.equal(message.createdAt, "2026-01-02T03:04:05.000Z");
  assert.equal(message.author, "Anonymous");
  assert.equal(message.board, "main");
});

test("records are keyed by board, so that one board keeps one order", () => {
  const first = encodeRecord(createMessage({ text: "a" }, "main"));
  const second = encodeRecord(createMessage({ text: "b" }, "main"));
  assert.equal(first.key, "main");
  assert.equal(first.key, second.key);
});

test("a record decodes back into the message it was made from", () => {
  const message = createMessage({ text: "round trip", author: "Bo" }, "main");
  assert.deepEqual(decodeRecord(Buffer.from(encodeRecord(message).value)), { ok: true, message });
});

test("anything else on the topic is refused with a reason", () => {
  const cases: [Buffer | null, RegExp][] = [
    [null, /empty/],
    [Buffer.from([0xff, 0xfe, 0x00]), /UTF-8/],
    [Buffer.from("{not json"), /JSON/],
    [Buffer.from(JSON.stringify({ text: "no id" })), /not a message/],
    [Buffer.from(JSON.stringify({ ...createMessage({ text: "x" }, "main"), text: { html: "<b>" } })), /not a message/],
  ];
  for (const [value, reason] of cases) {
    const decoded = decodeRecord(value);
    assert.equal(decoded.ok, false);
    if (!decoded.ok) assert.match(decoded.reason, reason);
  }
});

test("a board's slug is made from its name, and only slugs are boards", () => {
  assert.equal(slugFromName("Kafka & Friends — Berlin"), "kafka-friends-berlin");
  assert.equal(slugFromName("  Café Crème  "), "cafe-creme");
  assert.equal(slugFromName("!!!"), "");
  assert.equal(slugFromName("日本語"), "");
  assert.equal(slugFromName(`${"a".repeat(39)} b`), "a".repeat(39));
  for (const slug of ["main", "a", "room-1", "a".repeat(40)]) assert.ok(boardSlugSchema.safeParse(slug).success, slug);
  for (const slug of ["", "Main", "-a", "a-", "a_b", "a b", "../x", "a:b", "a".repeat(41), "é"]) assert.ok(!boardSlugSchema.safeParse(slug).success, slug);
  assert.equal(boardPath("main", "main"), "/");
  assert.equal(boardPath("room-1", "main"), "/b/room-1");
});

test("the topic carries messages and changes to them; old messages still read, and a change is never taken for a message", () => {
  const old = { id: "00000000-0000-4000-8000-000000000001", board: "main", author: "Ann", text: "hi", createdAt: "2026-01-01T00:00:00.000Z" };
  assert.deepEqual(decodeRecord(Buffer.from(JSON.stringify(old))), { ok: true, message: old });
  const withAccount = { ...old, account: { id: "acc-1", name: "Ann" } };
  assert.deepEqual(decodeRecord(Buffer.from(JSON.stringify(withAccount))), { ok: true, message: withAccount });
  const change = { kind: "delete", id: "00000000-0000-4000-8000-0000000000aa", target: old.id, board: "main", at: old.createdAt, by: "acc-1" } as const;
  assert.deepEqual(decodeRecord(Buffer.from(encodeRecord(change).value)), { ok: true, change });
  assert.equal(encodeRecord(change).key, "main", "keyed by board, as the message it changes");
  for (const bad of [
    { ...change, kind: "rename" },
    { ...change, target: "x" },
    { ...old, kind: "edit" },
    { ...change, kind: "edit" },
  ]) {
    assert.equal(decodeRecord(Buffer.from(JSON.stringify(bad))).ok, false, JSON.stringify(bad));
  }
});

test("readers see a board's entries with each change applied: the newest edit stands, a deletion over any edit", () => {
  const [one, two, three] = [1, 2, 3].map(storedMessage) as [StoredMessage, StoredMessage, StoredMessage];
  const at = (seq: number) => ({ seq, partition: 0, offset: String(seq), board: "main", by: "acc", at: `2026-01-01T00:00:0${seq}.000Z` });
  const edit = (target: string, text: string, seq: number) => ({ kind: "edit" as const, id: `e${seq}`, target, text, ...at(seq) });
  const remove = (target: string, seq: number) => ({ kind: "delete" as const, id: `d${seq}`, target, ...at(seq) });
  const newestFirst: StoredEntry[] = [
    edit(one.id, "second edit", 8),
    remove(two.id, 7),
    edit(two.id, "edited, then deleted", 6),
    edit(one.id, "first edit", 5),
    three,
    two,
    one,
  ];
  assert.deepEqual(foldEntries(newestFirst), [three, { ...one, text: "second edit", editedAt: "2026-01-01T00:00:08.000Z" }]);
  // The page applies the same changes, in order, to the list it shows.
  const changes = newestFirst.filter(isChange).toReversed();
  assert.deepEqual(applyChanges([three, two, one], changes), foldEntries(newestFirst));
  assert.deepEqual(applyChanges([three], changes), [three], "changes to messages it does not show change nothing");
});
