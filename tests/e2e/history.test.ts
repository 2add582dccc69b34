// Lasting history: a second consumer group writes every message into PostgreSQL exactly once, through a
// consumer crash, a full replay, PostgreSQL itself crashing, and a rebuild from the log. Real consumer and
// web processes, the real broker and a real PostgreSQL server.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, test } from "node:test";
import { launchBrowser } from "../../scripts/stack/browser";
import { startPostgresServer } from "../../scripts/stack/postgres-server";
import { olderPageSchema, searchResultsSchema } from "../../src/lib/messages/schema";
import { range, seconds } from "../support/audit";
import { client, committed, count, freshDatabase, historyOf, rows, type Row } from "../support/postgres";
import { freePort } from "../../scripts/stack/wait";
import { cleanupList, onFreePorts, postAccepted, postMessage, stack, startApps, startConsumerProcess, startRebuild, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

/** Ids that appear more than once, and ids sent that are missing. */
function compare(stored: readonly Row[], sent: readonly string[]) {
  const ids = stored.map((row) => row.id);
  const seen = new Set(ids);
  return { missing: sent.filter((id) => !seen.has(id)).length, duplicated: ids.length - seen.size };
}

test("every message reaches PostgreSQL once, in the board's order, through a consumer crash and a full replay", async (t) => {
  const databaseUrl = await freshDatabase("once");
  const database = client(cleanup, databaseUrl);
  const { names, env, consumer, web } = await startApps(cleanup, "history", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;

  // A post retried under the same id is one message.
  const retried = randomUUID();
  for (const _ of range(2)) assert.equal((await postMessage(url, { id: retried, text: "sent twice" })).status, 201);
  const sent: string[] = [retried];
  for (const i of range(300)) {
    sent.push(await postAccepted(url, `message ${i}`));
    if (i === 100) await waitFor("history to begin", async () => (await count(database)) > 0);
    if (i === 150) await consumer.kill();
    if (i === 200) cleanup.add(await startConsumerProcess(env, "history-consumer-2"), (restarted) => restarted.stop());
  }
  const stored = await historyOf(database, sent.length);
  assert.deepEqual(compare(stored, sent), { missing: 0, duplicated: 0 });
  assert.equal(stored.length, sent.length);
  // One board, one key, one partition: the board's order is the order the page sent them in.
  assert.deepEqual(
    stored.map((row) => row.id),
    sent,
  );

  // A new group reads the whole log again into the same database: nothing changes.
  const before = await rows(database);
  const replay = cleanup.add(await startConsumerProcess({ ...env, HISTORY_CONSUMER_GROUP: `${names.historyGroup}-replay` }, "history-replay"), (started) =>
    started.stop(),
  );
  await replay.waitForLine(/history consumer started/, "that history started");
  // The retried post is two records.
  await waitFor("the replay to read to the end of the log", async () => (await committed(names.topic, `${names.historyGroup}-replay`)) >= sent.length + 1);
  assert.deepEqual(await rows(database), before);
  t.diagnostic(`${stored.length} messages, 0 missing, 0 twice, after a kill -9 of the consumer and a replay of the whole log`);
});

test("PostgreSQL killed with kill -9 and restarted while posts flow: each message stored once", async (t) => {
  const dataDir = path.join(stack.workDir, "postgres-crash");
  const start = (port: number) => startPostgresServer({ port, dataDir, output: { file: `${dataDir}.log` } });
  const first = cleanup.add(await onFreePorts(1, ([port = 0]) => start(port)), (server) => server.stop());
  const databaseUrl = await freshDatabase("crash", first.url);
  const { web } = await startApps(cleanup, "pg-crash", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const database = client(cleanup, databaseUrl);

  const sent: string[] = [];
  const posting = (async () => {
    for (const i of range(600)) sent.push(await postAccepted(url, `message ${i}`));
  })();
  await waitFor("history to have 100 messages", async () => (await count(database)) >= 100);
  const killedAt = performance.now();
  const atKill = sent.length;
  await first.kill();
  // Its backends may hold the shared memory a moment after they are gone from the process table; PostgreSQL
  // refuses to start until they let go, as it would after any crash.
  const again = await waitFor("PostgreSQL to start again", () => start(Number(new URL(first.url).port)).catch(() => undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  cleanup.add(again, (server) => server.stop());
  const restartedAfter = performance.now() - killedAt;
  await posting;
  const stored = await historyOf(database, sent.length);
  assert.deepEqual(compare(stored, sent), { missing: 0, duplicated: 0 });
  assert.equal(stored.length, sent.length);
  t.diagnostic(
    `killed after ${atKill} posts, up again ${seconds(restartedAfter)} later; all ${sent.length} in history, once each, ${seconds(performance.now() - killedAt)} after the kill`,
  );
});

test("PostgreSQL emptied and rebuilt from the log with npm run rebuild: the same rows, and the board stays up", async (t) => {
  const databaseUrl = await freshDatabase("rebuild");
  const database = client(cleanup, databaseUrl);
  const { env, web } = await startApps(cleanup, "rebuild", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const sent: string[] = [];
  for (const i of range(200)) sent.push(await postAccepted(url, `before ${i}`));
  const before = await historyOf(database, sent.length);

  const rebuild = startRebuild(cleanup, "postgres", env);
  // Posting goes on during the rebuild.
  assert.equal((await postMessage(url, { text: "during the rebuild" })).status, 201);
  const took = await rebuild.done();
  const after = await historyOf(database, sent.length + 1);
  assert.deepEqual(after.slice(0, before.length), before);
  assert.equal(after.length, before.length + 1);
  t.diagnostic(`rebuilt ${after.length} messages from the log in ${took} s; every row as it was before`);
});

/** GET on the web app, JSON back. */
async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

test("older pages go back past the live list, page by page, without gaps or repeats while posts arrive", async (t) => {
  const databaseUrl = await freshDatabase("pages");
  const database = client(cleanup, databaseUrl);
  const { web } = await startApps(cleanup, "pages", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const sent: string[] = [];
  for (const i of range(260)) sent.push(await postAccepted(url, `page message ${i}`));
  await historyOf(database, sent.length);

  // From the oldest message of the live list (the newest 100), back to the first, while others post.
  const live = olderPageSchema.parse((await getJson(`${url}/api/history?limit=100`)).body).messages;
  let before = live.at(-1)!.id;
  const pages: string[][] = [];
  const posting = (async () => {
    for (const i of range(30)) await postAccepted(url, `while paging ${i}`);
  })();
  for (;;) {
    const { status, body } = await getJson(`${url}/api/history?before=${before}&limit=40`);
    assert.equal(status, 200, JSON.stringify(body));
    const page = olderPageSchema.parse(body);
    pages.push(page.messages.map((message) => message.id));
    if (!page.more) break;
    before = page.messages.at(-1)!.id;
  }
  await posting;
  const older = pages.flat().reverse();
  assert.deepEqual(older, sent.slice(0, 160), "every message older than the live list, once, in order");
  assert.deepEqual(
    pages.map((page) => page.length),
    [40, 40, 40, 40],
  );
  t.diagnostic(`${pages.length} pages of older messages, ${older.length} messages, none missing or repeated while 30 more were posted`);
});

test("search finds words as typed, phrases, exclusions and authors, in one board or all, with the matches marked as text", async () => {
  const databaseUrl = await freshDatabase("search");
  const database = client(cleanup, databaseUrl);
  const { web } = await startApps(cleanup, "search", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const texts = [
    ["ada", "Kafka keeps the log"],
    ["ada", "the consumer group shares partitions"],
    ["bob", "a group of consumers, not a consumer group"],
    ["bob", "<b>bold</b> Straße naïve"],
    ["cy", "Redis is a view of the log"],
  ] as const;
  for (const [author, text] of texts) assert.equal((await postMessage(url, { author, text })).status, 201);
  await historyOf(database, texts.length);

  const search = async (query: string) => {
    const { status, body } = await getJson(`${url}/api/search?${query}`);
    assert.equal(status, 200, JSON.stringify(body));
    return searchResultsSchema.parse(body).results;
  };
  const textsOf = async (query: string) => (await search(query)).map((hit) => hit.message.text);

  assert.deepEqual(await textsOf("q=kaf"), ["Kafka keeps the log"]);
  assert.deepEqual(await textsOf("q=log"), ["Redis is a view of the log", "Kafka keeps the log"]);
  assert.deepEqual(await textsOf(`q=${encodeURIComponent('"consumer group"')}`), [
    "a group of consumers, not a consumer group",
    "the consumer group shares partitions",
  ]);
  assert.deepEqual(await textsOf(`q=${encodeURIComponent('"consumer group" -consumers')}`), ["the consumer group shares partitions"]);
  assert.deepEqual(await textsOf("q=group&author=BOB"), ["a group of consumers, not a consumer group"]);
  assert.deepEqual(await textsOf("author=cy"), ["Redis is a view of the log"]);
  assert.deepEqual(await textsOf("q=strasse"), []);
  assert.deepEqual(await textsOf(`q=${encodeURIComponent("straße NAÏVE")}`), ["<b>bold</b> Straße naïve"]);
  assert.deepEqual(await textsOf("q=log&board=main"), await textsOf("q=log"));

  // Highlights are the text in pieces: markup in a message stays text.
  const [bold] = await search("q=bold");
  assert.deepEqual(bold?.highlight, [
    { text: "<b>", match: false },
    { text: "bold", match: true },
    { text: "</b> Straße naïve", match: false },
  ]);
});

test("odd input to history and search is a JSON 4xx that names the problem, and to a page a 404 page, never a 500", async () => {
  const databaseUrl = await freshDatabase("odd");
  const { web } = await startApps(cleanup, "odd", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  assert.equal((await postMessage(url, { text: "something to find" })).status, 201);
  const cases: [string, number, string][] = [
    ["/api/history?board=nope", 404, "unknown_board"],
    ["/api/history?board=Not%20A%20Slug", 400, "invalid_query"],
    [`/api/history?before=${randomUUID()}`, 404, "unknown_message"],
    ["/api/history?before=not-a-uuid", 400, "invalid_query"],
    ["/api/history?limit=0", 400, "invalid_query"],
    ["/api/history?limit=1e9", 400, "invalid_query"],
    ["/api/history?unknown=1", 400, "invalid_query"],
    ["/api/history/message", 400, "invalid_query"],
    [`/api/history/message?id=${randomUUID()}`, 404, "unknown_message"],
    ["/api/search", 400, "invalid_search"],
    ["/api/search?q=-only", 400, "invalid_search"],
    [`/api/search?q=${"x".repeat(201)}`, 400, "invalid_query"],
    ["/api/search?q=a&board=nope", 404, "unknown_board"],
    ["/api/search?q=a&author=%00", 400, "invalid_query"],
    ["/api/search?q=a&limit=-1", 400, "invalid_query"],
  ];
  for (const [path, status, code] of cases) {
    const answer = await getJson(`${url}${path}`);
    assert.equal(answer.status, status, `${path}: ${JSON.stringify(answer.body)}`);
    assert.equal((answer.body as { error?: { code?: string } }).error?.code, code, path);
  }
  // Whatever is typed, the answer is a JSON 200 or 400: the query's shape cannot be changed from outside.
  const odd = ["'; DROP TABLE messages; --", "a:* | b", "!!!", "(((", "\\", "%_", '"', "\u202e", "🙂 emoji", "a & !b <-> c", "x".repeat(200)];
  for (const q of odd) {
    const { status, body } = await getJson(`${url}/api/search?q=${encodeURIComponent(q)}`);
    assert.ok(status === 200 || status === 400, `${JSON.stringify(q)}: ${status} ${JSON.stringify(body)}`);
  }
  assert.equal((await getJson(`${url}/api/search?q=something`)).status, 200, "history is still there");

  // Every page with a parameter: what does not exist is a 404 page, never a 500.
  const [posted] = searchResultsSchema.parse((await getJson(`${url}/api/search?q=something`)).body).results;
  const pages: [string, number][] = [
    [`/m/${posted?.message.id}`, 200],
    [`/m/${randomUUID()}`, 404],
    ["/m/not-a-uuid", 404],
    ["/m/%00", 404],
    ["/b/nope", 404],
    ["/b/Not%20A%20Slug", 404],
    [`/b/${"x".repeat(500)}`, 404],
    ["/search?q=%22unclosed", 200],
    ["/search?board=nope", 200],
  ];
  const answered = await Promise.all(pages.map(async ([path]) => (await fetch(`${url}${path}`)).status));
  assert.deepEqual(
    answered,
    pages.map(([, status]) => status),
    pages.map(([path]) => path).join(", "),
  );
});

test("without DATABASE_URL, history and search say that the board keeps no lasting history", async () => {
  const { web } = await startApps(cleanup, "no-history");
  for (const path of ["/api/history", "/api/search?q=a"]) {
    const { status, body } = await getJson(`${web[0]!.url}${path}`);
    assert.equal(status, 503);
    assert.match(JSON.stringify(body), /history_unavailable.*DATABASE_URL/);
  }
});

test("PostgreSQL down: posts and the live board go on, /api/ready says what is down, history answers 503", async () => {
  const port = await freePort();
  const { web, consumer } = await startApps(cleanup, "pg-down", { DATABASE_URL: `postgres://board@127.0.0.1:${port}/board` });
  const url = web[0]!.url;
  assert.equal((await postMessage(url, { text: "while history is down" })).status, 201);
  const ready = await waitFor("/api/ready to say why", async () => {
    const body = (await (await fetch(`${url}/api/ready`)).json()) as { status: string; warnings: string[] };
    return body.warnings.some((warning) => warning.startsWith("PostgreSQL is unreachable")) && body;
  });
  assert.equal(ready.status, "degraded");
  const { status, body } = await getJson(`${url}/api/history`);
  assert.equal(status, 503);
  assert.match(JSON.stringify(body), /history_unavailable/);
  await consumer.waitForLine(/PostgreSQL is not reachable: history waits for it/, "why history waits");
  await waitFor("the live board to have the post", async () => JSON.stringify((await getJson(`${url}/api/messages`)).body).includes("while history is down"));
});

test("a search is its address: a link opens it with its results, typing changes the address, Back from a result returns to it", async () => {
  const databaseUrl = await freshDatabase("search-page");
  const { web } = await startApps(cleanup, "search-page", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  for (const [author, text] of [
    ["ada", "partitions keep order"],
    ["bob", "partitions and replicas"],
    ["ada", "replicas follow the leader"],
  ])
    assert.equal((await postMessage(url, { author, text })).status, 201);
  await historyOf(client(cleanup, databaseUrl), 3);

  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await (await browser.newContext()).newPage();
  const results = page.getByRole("region", { name: "Search results" }).getByRole("listitem");
  await page.goto(`${url}/search?q=partitions&author=ada`);
  await results.first().waitFor();
  assert.deepEqual(await results.locator("p").allTextContents(), ["partitions keep order"], "the link's search, author included");
  assert.equal(await page.getByLabel("Search messages").inputValue(), "partitions");

  await page.getByLabel("Author").fill("");
  await page.getByLabel("Search messages").fill("replicas");
  await waitFor("two results for replicas", async () => (await results.count()) === 2);
  // The address follows through the router, a moment after the results.
  await page.waitForURL((address) => address.search === "?q=replicas");

  await results.first().getByRole("link").click();
  await page.waitForURL(/\/m\//);
  await page.goBack();
  await waitFor("the search again after Back", async () => (await results.count()) === 2);
  assert.equal(await page.getByLabel("Search messages").inputValue(), "replicas");
});
