// The HTTP API of the production build, against the real pipeline.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import type { Duplex } from "node:stream";
import { after, before, test } from "node:test";
import type { Redis } from "ioredis";
import type { ManagedProcess } from "../../scripts/stack/processes";
import { historySchema, messageSchema, storedMessageSchema } from "../../src/lib/messages/schema";
import { appEnv, logOf, startConsumerProcess, startWebProcess, testRedis, uniqueNames, UNREACHABLE_BROKER, waitFor } from "../support/stack";

const names = uniqueNames("api");
const started: ManagedProcess[] = [];
let web: ManagedProcess & { url: string };
let redis: Redis;

before(async () => {
  redis = testRedis();
  started.push(await startConsumerProcess(appEnv(names), "api-consumer"));
  web = await startWebProcess(appEnv(names), "api-web");
  started.push(web);
});
after(async () => {
  redis.disconnect();
  await Promise.all(started.map((process) => process.stop()));
});

const post = (body: string, contentType = "application/json", path = "/api/messages") =>
  fetch(`${web.url}${path}`, { method: "POST", headers: { "Content-Type": contentType }, body });

test("a post is answered with the message once Kafka has it, and is then stored", async () => {
  // Connected at start-up, before any post, so that the first posts do not wait for the handshake.
  await waitFor("the web app to connect to Kafka", () => logOf("api-web").includes("connected to Kafka"));
  const response = await post(JSON.stringify({ text: "  hello from the API  ", author: "Cy" }));
  assert.equal(response.status, 201);
  const message = messageSchema.parse(await response.json());
  assert.equal(message.text, "hello from the API");

  const stored = await waitFor("the message in history", async () => {
    const history = historySchema.parse(await (await fetch(`${web.url}/api/messages`)).json());
    return history.messages.find((entry) => entry.id === message.id);
  });
  assert.equal(stored.author, "Cy");
});

test("history is newest first and takes a limit", async () => {
  for (const text of ["older", "newer"]) assert.equal((await post(JSON.stringify({ text }))).status, 201);
  const history = await waitFor("both messages", async () => {
    const current = historySchema.parse(await (await fetch(`${web.url}/api/messages`)).json());
    return current.messages.some((message) => message.text === "newer") && current;
  });
  const seqs = history.messages.map((message) => message.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => b - a),
  );
  const limited = historySchema.parse(await (await fetch(`${web.url}/api/messages?limit=1`)).json());
  assert.deepEqual(
    limited.messages.map((message) => message.text),
    ["newer"],
  );
  assert.equal((await fetch(`${web.url}/api/messages?limit=zero`)).status, 400);
});

test("bad input gets a 4xx JSON error that says what is wrong, and nothing is stored", async () => {
  const cases: [string, string, number, string][] = [
    [JSON.stringify({ text: { html: "<b>x</b>" } }), "application/json", 400, "text must be a string"],
    [JSON.stringify({ text: 42 }), "application/json", 400, "text must be a string"],
    [JSON.stringify({ text: "   " }), "application/json", 400, "text must not be empty"],
    [JSON.stringify({ text: "x".repeat(1001) }), "application/json", 400, "at most 1000"],
    [JSON.stringify({ text: "hi", admin: true }), "application/json", 400, "admin"],
    ["{not json", "application/json", 400, "not valid JSON"],
    ["text=hi", "application/x-www-form-urlencoded", 415, "JSON"],
    [JSON.stringify({ text: "x".repeat(20_000) }), "application/json", 413, "at most"],
  ];
  const before = await redis.lrange(names.list, 0, -1);
  for (const [body, type, status, says] of cases) {
    const response = await post(body, type);
    assert.equal(response.status, status, body.slice(0, 40));
    const error = (await response.json()) as { error: { code: string; message: string } };
    assert.ok(error.error.code, "a machine-readable code");
    assert.match(error.error.message, new RegExp(says));
  }
  // A valid post after the bad ones arrives on its own: nothing from the bad ones came before it.
  const marker = messageSchema.parse(await (await post(JSON.stringify({ text: "after the bad ones" }))).json());
  await waitFor("the marker message", async () => (await redis.lindex(names.list, 0))?.includes(marker.id));
  assert.equal((await redis.llen(names.list)) - before.length, 1);
});

test("the first design's API still works: POST /messages and GET /messages", async () => {
  const response = await post(JSON.stringify({ text: "legacy client" }), "application/json", "/messages");
  assert.equal(response.status, 201);
  const { id } = messageSchema.parse(await response.json());
  // A plain array of messages, newest first, where the current API answers {epoch, messages}.
  const list = await waitFor("the legacy message", async () => {
    const messages = storedMessageSchema.array().parse(await (await fetch(`${web.url}/messages`)).json());
    return messages.some((message) => message.id === id) && messages;
  });
  assert.equal(list[0]?.id, id);
});

test("the stream sends what a viewer missed, with ids, then live messages", async () => {
  const { id: missed } = messageSchema.parse(await (await post(JSON.stringify({ text: "posted before the viewer came" }))).json());
  await waitFor("the earlier message to be stored", async () => (await redis.lrange(names.list, 0, -1)).some((entry) => entry.includes(missed)));
  const controller = new AbortController();
  const response = await fetch(`${web.url}/api/messages/stream?after=start`, { signal: controller.signal });
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.match(response.headers.get("cache-control") ?? "", /no-transform/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  const readUntil = (text: string) =>
    waitFor(`"${text}" on the stream`, async () => {
      const { value } = await reader.read();
      received += value ?? "";
      return received.includes(text);
    });
  await readUntil("posted before the viewer came");
  await post(JSON.stringify({ text: "live one" }));
  await readUntil("live one");
  controller.abort();
  const ids = [...received.matchAll(/^id: [a-z0-9]+-(\d+)$/gm)].map((match) => Number(match[1]));
  assert.ok(ids.length >= 2);
  assert.deepEqual(
    ids,
    [...new Set(ids)].sort((a, b) => a - b),
    "each message once, in board order",
  );
});

test("with Kafka unreachable a post fails fast with 503 and a clear error", async () => {
  const isolated = await startWebProcess(appEnv(names, { KAFKA_BROKERS: UNREACHABLE_BROKER }), "api-web-no-kafka");
  started.push(isolated);
  const startedAt = Date.now();
  const response = await fetch(`${isolated.url}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: "into the void" }),
  });
  const elapsed = Date.now() - startedAt;
  assert.equal(response.status, 503);
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, "kafka_unavailable");
  assert.ok(elapsed < 5000, `answered in ${elapsed} ms`);
  await waitFor("the web app to say that Kafka is unreachable", () =>
    logOf("api-web-no-kafka").includes("Kafka is unreachable; posts are refused until it is back"),
  );
});

test("development and production serve the same entry alike: statuses, headers, errors, the stream and the page", async () => {
  const dev = await startWebProcess(appEnv(names), "api-web-development", "development");
  started.push(dev);
  const headersOf = (response: Response) =>
    ["content-type", "content-security-policy", "x-content-type-options", "x-frame-options"].map((name) => response.headers.get(name));
  for (const url of [web.url, dev.url]) {
    const controller = new AbortController();
    const stream = await fetch(`${url}/api/messages/stream`, { signal: controller.signal });
    assert.equal(stream.status, 200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    const accepted = await fetch(`${url}/api/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: `via ${url}` }),
    });
    assert.equal(accepted.status, 201);
    assert.deepEqual(headersOf(accepted), ["application/json", "default-src 'none'; frame-ancestors 'none'", "nosniff", "DENY"]);
    assert.match(accepted.headers.get("x-request-id") ?? "", /^[\w.:-]+$/);
    const refused = await fetch(`${url}/api/messages`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "invalid_message");
    const wrongMethod = await fetch(`${url}/api/messages`, { method: "DELETE" });
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get("allow")], [405, "GET, POST"]);
    assert.equal((await fetch(`${url}/api/nothing-here`)).status, 404);
    let received = "";
    await waitFor(`the message on ${url}'s stream`, async () => {
      received += (await reader.read()).value ?? "";
      return received.includes(`via ${url}`);
    });
    controller.abort();
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self' 'nonce-/);
    assert.match(await page.text(), new RegExp(`via ${url.replaceAll(".", "\\.")}`), "the page renders the stored history");
  }

  // A page open in development holds a hot-reload socket that only the server closes: stopping must not wait
  // for it (the process would be killed after stop()'s grace, without saying "stopped").
  const hotReload = await upgrade(`${dev.url}/_next/hmr`);
  await dev.stop();
  hotReload.destroy();
  assert.match(logOf("api-web-development"), /"msg":"stopped"/);
});

/** Opens a WebSocket connection's socket, as a browser does for development's hot reload. */
function upgrade(url: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const headers = { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64") };
    request(url, { headers })
      .on("upgrade", (_response, socket) => resolve(socket))
      .on("response", (response) => reject(new Error(`no upgrade: ${response.statusCode}`)))
      .on("error", reject)
      .end();
  });
}
