// Abuse on the production build: hostile input, too many posts, too many streams, viewers that never read,
// cross-site posts, and the headers every answer carries.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { WebSocket } from "ws";
import path from "node:path";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { errorBodySchema } from "../../src/lib/http/error-body";
import { watchBoard } from "../support/sse-viewer";
import {
  appEnv,
  cleanupList,
  postAccepted,
  postMessage,
  stack,
  startConsumerProcess,
  startWebProcess,
  testKafka,
  testRedis,
  uniqueNames,
  waitFor,
  type Names,
} from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

let names: Names;
let open: { url: string }; // limits out of the way, for the fuzzer
let limitedA: { url: string }; // two instances that share a tight post limit
let limitedB: { url: string };
let proxied: { url: string }; // behind one trusted proxy: addresses come from X-Forwarded-For

before(async () => {
  names = uniqueNames("security");
  const env = appEnv(names);
  cleanup.add(await startConsumerProcess(env, "security-consumer"), (process) => process.stop());
  const web = async (name: string, overrides: Record<string, string> = {}) =>
    cleanup.add(await startWebProcess({ ...env, ...overrides }, name), (process) => process.stop());
  const tight = { POSTS_PER_MINUTE: "6", POST_BURST: "5" };
  [open, limitedA, limitedB, proxied] = await Promise.all([
    web("security-web-open"),
    web("security-web-limited-a", tight),
    web("security-web-limited-b", tight),
    web("security-web-proxied", { TRUSTED_PROXY_HOPS: "1", STREAMS_PER_CLIENT: "2", STREAMS_PER_PROCESS: "4", STREAM_BUFFER_BYTES: "65536" }),
  ]);
});

/** A small deterministic generator, so that a failing case can be found again. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return {
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

type Case = { method?: string; contentType?: string; body: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string> };

function hostileCases(count: number): Case[] {
  const rng = random(20261123);
  // Every one of these is refused as text or author; markup is not among them, since it is valid text
  // (the browser tests check that it shows as text).
  const strings = ["", " ", "\u200b", "\u0000", "a\u0007b", "\u001b[31mred", "\u202e", "\ud800", "x".repeat(1001), "é".repeat(5000)];
  const values: unknown[] = [null, true, 0, -1, 1e308, [], {}, ["text"], { author: "no text" }, ...strings];
  const json = [
    () => JSON.stringify(rng.pick(values)),
    () => JSON.stringify({ text: rng.pick(values) }),
    () => JSON.stringify({ text: "fine", author: rng.pick([...values, "y".repeat(41)]) }),
    () => JSON.stringify({ text: "fine", id: rng.pick(["not-a-uuid", 42, "00000000-0000-0000-0000-000000000000x"]) }),
    () => JSON.stringify({ text: "fine", [rng.pick(["admin", "board", "seq", "createdAt", "constructor"])]: true }),
    // Had one of these reached the server's Object.prototype, every object there would have a text.
    () => `{"__proto__":{"text":"from the prototype"}}`,
    () => `{"constructor":{"prototype":{"text":"from the prototype"}},"__proto__":{"author":"polluted"}}`,
    () => "[".repeat(rng.int(6000) + 1) + "]".repeat(rng.int(6000) + 1),
    () => `{"text":${"{".repeat(rng.int(3000) + 1)}`,
    () => `{"text":"${"\\u0000".repeat(rng.int(50) + 1)}"}`,
    () => `{"text":"a" "b"}`,
    () => `{'text':'single quotes'}`,
    () => `{"text":"trailing",}`,
    () => `{"text":"${"z".repeat(rng.int(40_000) + 16_000)}"}`,
    () => "",
  ];
  const contentTypes = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "",
    "application/json; charset=utf-16",
  ];
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.int(10);
    if (kind === 0)
      cases.push({ contentType: "application/json", body: Uint8Array.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]) });
    else if (kind === 1) cases.push({ method: rng.pick(["PUT", "PATCH", "DELETE"]), contentType: "application/json", body: `{"text":"wrong method"}` });
    else if (kind === 2) cases.push({ contentType: rng.pick(contentTypes.slice(1, 6)), body: `{"text":"wrong type"}` });
    else if (kind === 3)
      cases.push({
        contentType: "application/json",
        body: `{"text":"from elsewhere"}`,
        headers: { Origin: rng.pick(["https://evil.example", "null", "http://127.0.0.1.evil.example"]) },
      });
    else cases.push({ contentType: rng.pick(["application/json", "application/json; charset=utf-8", contentTypes[6]!]), body: rng.pick(json)() });
  }
  return cases;
}

async function topicEnd(topic: string): Promise<string> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((partition) => `${partition.partition}:${partition.high}`).join(",");
  } finally {
    await admin.disconnect();
  }
}

test("1,200 hostile requests: every answer a JSON 4xx with a code, no 5xx, nothing stored, and the server still serves", async (t) => {
  const redis = cleanup.add(testRedis(), (client) => client.disconnect());
  await postAccepted(open.url, "before the fuzz");
  await waitFor("the first message stored", async () => (await redis.llen(names.list)) === 1);
  const [listBefore, topicBefore] = [await redis.lrange(names.list, 0, -1), await topicEnd(names.topic)];

  const statuses = new Map<number, number>();
  const cases = hostileCases(1200);
  for (const [index, hostile] of cases.entries()) {
    const headers: Record<string, string> = { ...hostile.headers };
    if (hostile.contentType) headers["Content-Type"] = hostile.contentType;
    const response = await fetch(`${open.url}/api/messages`, { method: hostile.method ?? "POST", headers, body: hostile.body });
    const text = await response.text();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const where = `case ${index}: ${hostile.method ?? "POST"} ${hostile.contentType} ${String(hostile.body).slice(0, 80)}`;
    assert.ok(response.status >= 400 && response.status < 500, `${where} answered ${response.status}: ${text.slice(0, 200)}`);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/, where);
    assert.ok(errorBodySchema.safeParse(JSON.parse(text)).success, `${where}: ${text.slice(0, 200)}`);
  }
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  assert.ok(
    [400, 403, 405, 413, 415].every((status) => statuses.has(status)),
    "every kind of refusal was exercised",
  );

  assert.equal(await topicEnd(names.topic), topicBefore, "nothing reached Kafka");
  assert.deepEqual(await redis.lrange(names.list, 0, -1), listBefore, "the store is unchanged");
  // The server's objects have no text of their own after all that: a post without one is still refused.
  const empty = await fetch(`${open.url}/api/messages`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(empty.status, 400);
  assert.ok(errorBodySchema.parse(await empty.json()).error.fields?.text, "text is missing, as nothing gave every object one");
  await postAccepted(open.url, "after the fuzz");
  await waitFor("the server to store a valid message after all that", async () => (await redis.llen(names.list)) === 2);
});

test("posts are limited per client address across instances, with Retry-After; a forged X-Forwarded-For or x-peer-address does not help", async () => {
  const answers = [];
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${(i % 2 === 0 ? limitedA : limitedB).url}/api/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": `198.51.100.${i}`, "X-Peer-Address": `203.0.113.${i}` },
      body: JSON.stringify({ text: `burst ${i}` }),
    });
    answers.push({ status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as unknown });
  }
  assert.deepEqual(
    answers.slice(0, 5).map((answer) => answer.status),
    [201, 201, 201, 201, 201],
    "the burst of 5",
  );
  const refused = answers[5]!;
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 10, `Retry-After ${refused.retryAfter}`);
  assert.equal(errorBodySchema.parse(refused.body).error.code, "too_many_requests");
});

test("streams are limited per client address and per process; a viewer that does not read is disconnected, others go on", async (t) => {
  const stream = (client: string) => fetch(`${proxied.url}/api/messages/stream`, { headers: { "X-Forwarded-For": client } });
  const held = [await stream("10.0.0.1"), await stream("10.0.0.1")];
  assert.deepEqual(
    held.map((response) => response.status),
    [200, 200],
  );
  const third = await stream("10.0.0.1");
  assert.equal(third.status, 429);
  assert.equal(errorBodySchema.parse(await third.json()).error.code, "too_many_streams");

  // Without X-Forwarded-For, this one counts as the proxy's own address.
  const viewer = cleanup.add(watchBoard([proxied.url]), (watching) => watching.close());
  await viewer.connected();
  held.push(await stream("10.0.0.2"));
  const busy = await stream("10.0.0.3");
  const full = { status: busy.status, code: errorBodySchema.parse(await busy.json()).error.code };
  assert.deepEqual(full, { status: 503, code: "server_busy" }, "the process holds at most 4 streams");
  for (const response of held) await response.body?.cancel();

  // A viewer that never reads: its socket's buffers fill, then the stream's queue, then it is let go.
  const stalled = connect(Number(new URL(proxied.url).port), "127.0.0.1");
  await new Promise((resolve) => stalled.once("connect", resolve));
  stalled.write(`GET /api/messages/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n`);
  stalled.pause();
  const closed = new Promise((resolve) => stalled.once("close", resolve));

  const big = "€".repeat(1000); // 3 KB of UTF-8 per message
  const log = path.join(stack.workDir, "security-web-proxied.log");
  const letGo = () => readFileSync(log, "utf8").includes("disconnected a viewer that does not keep up");
  const sent: string[] = [];
  while (!letGo() && sent.length < 5000) {
    sent.push(...(await Promise.all(Array.from({ length: 16 }, () => postAccepted(proxied.url, big)))));
  }
  assert.ok(letGo(), `the stalled viewer was not disconnected after ${sent.length} messages`);
  t.diagnostic(`a viewer that stopped reading was disconnected after ${sent.length} messages of 3 KB`);
  await waitFor("the reading viewer to get every message", () => viewer.messages.length >= sent.length, { timeoutMs: 60_000 });
  assert.equal(viewer.connections, 1, "the viewer that reads was never disconnected");
  stalled.resume();
  await closed;
});

test("the WebSocket stream: the same limits before the upgrade, another site's page refused, 426 without an upgrade, a socket that does not read let go", async (t) => {
  const base = proxied.url.replace(/^http/, "ws");
  /** Opens a socket as `client`; resolves to it once open, or to the HTTP status that refused it. */
  const open = (client: string, headers: Record<string, string> = {}) =>
    new Promise<WebSocket | number>((resolve, reject) => {
      const socket = new WebSocket(`${base}/api/messages/ws`, { headers: { "X-Forwarded-For": client, ...headers } });
      socket.once("open", () => resolve(socket));
      socket.once("unexpected-response", (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once("error", reject);
    });
  const held = [await open("10.0.1.1"), await open("10.0.1.1")];
  assert.ok(held.every((socket) => socket instanceof WebSocket));
  assert.equal(await open("10.0.1.1"), 429, "a third from one client, as for SSE");
  assert.equal(await open("10.0.1.2", { Origin: "https://elsewhere.example" }), 403, "another site's page");
  const plain = await fetch(`${proxied.url}/api/messages/ws`);
  assert.deepEqual([plain.status, errorBodySchema.parse(await plain.json()).error.code], [426, "upgrade_required"]);
  for (const socket of held) if (socket instanceof WebSocket) socket.close();

  const reader = cleanup.add(watchBoard([proxied.url], { transport: "websocket" }), (watching) => watching.close());
  await reader.connected();
  const stalled = await open("10.0.1.9");
  assert.ok(stalled instanceof WebSocket);
  stalled.pause();
  const closed = new Promise((resolve) => stalled.once("close", resolve));
  const big = "€".repeat(1000);
  const log = path.join(stack.workDir, "security-web-proxied.log");
  const letGo = () => (readFileSync(log, "utf8").match(/disconnected a viewer that does not keep up/g) ?? []).length >= 2;
  const sent: string[] = [];
  while (!letGo() && sent.length < 5000) sent.push(...(await Promise.all(Array.from({ length: 16 }, () => postAccepted(proxied.url, big)))));
  assert.ok(letGo(), `the stalled socket was not let go after ${sent.length} messages`);
  t.diagnostic(`a socket that stopped reading was let go after ${sent.length} messages of 3 KB`);
  await waitFor("the reading socket to get every message", () => reader.messages.length >= sent.length, { timeoutMs: 60_000 });
  assert.equal(reader.connections, 1, "the socket that reads was never let go");
  stalled.resume();
  await closed;
});

test("a viewer whose catch-up is larger than the stream's buffer gets all of it and stays connected", async () => {
  // Over loopback the kernel takes much of the catch-up at once; tests/unit/handlers.test.ts holds all of it
  // in the stream's queue, which is where counting the catch-up against the buffer would show.
  const small = cleanup.add(await startWebProcess({ ...appEnv(names), STREAM_BUFFER_BYTES: "65536" }, "security-web-small-buffer"), (process) =>
    process.stop(),
  );
  const big = "€".repeat(1000); // 3 KB of UTF-8: 40 of them are about twice the buffer
  const ids: string[] = [];
  for (let i = 0; i < 40; i += 8) ids.push(...(await Promise.all(Array.from({ length: 8 }, () => postAccepted(small.url, big)))));
  const redis = cleanup.add(testRedis(), (client) => client.disconnect());
  await waitFor("the 40 to be stored", async () => {
    const stored = (await redis.lrange(names.list, 0, -1)).join("\n");
    return ids.every((id) => stored.includes(id));
  });
  const viewer = cleanup.add(watchBoard([small.url], { after: "start" }), (watching) => watching.close());
  await waitFor("the whole catch-up", () => ids.every((id) => viewer.messages.some((message) => message.id === id)));
  assert.equal(viewer.connections, 1, "never disconnected");
});

test("answers carry a CSP with a fresh nonce on pages and hardening headers everywhere; other sites cannot post", async () => {
  const page = await fetch(`${open.url}/`);
  const policy = page.headers.get("content-security-policy") ?? "";
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  assert.ok(nonce, policy);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.doesNotMatch(policy, /script-src[^;]*'unsafe-inline'/);
  const html = await page.text();
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
  assert.ok(scripts.length > 0 && scripts.every((tag) => tag.includes(`nonce="${nonce}"`)), "every script carries the nonce");
  const again = (await fetch(`${open.url}/`)).headers.get("content-security-policy");
  assert.notEqual(again, policy, "a new nonce for every page");

  for (const response of [page, await fetch(`${open.url}/api/messages`)]) {
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "strict-origin-when-cross-origin");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
  }

  const crossSite = await fetch(`${open.url}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: "https://evil.example" },
    body: JSON.stringify({ text: "from another site" }),
  });
  assert.equal(crossSite.status, 403);
  assert.equal(errorBodySchema.parse(await crossSite.json()).error.code, "cross_origin");
  const withoutOrigin = await postMessage(open.url, { text: "as curl sends it" });
  assert.equal(withoutOrigin.status, 201);
  const ownOrigin = await fetch(`${open.url}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: new URL(open.url).origin },
    body: JSON.stringify({ text: "with our own Origin" }),
  });
  assert.equal(ownOrigin.status, 201);
});
