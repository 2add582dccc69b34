// Boards: created through the log, listed live, each with its own messages, order and stream. Real broker,
// Redis, PostgreSQL, consumer and web processes, and a real browser.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { z } from "zod";
import { boardListSchema } from "../../src/lib/messages/boards";
import { createMessage } from "../../src/lib/messages/create";
import { messageSchema } from "../../src/lib/messages/schema";
import { range } from "../support/audit";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { freshDatabase } from "../support/postgres";
import { watchBoard } from "../support/sse-viewer";
import { cleanupList, postMessage, readTopic, startApps, startConsumerProcess, testKafka, testRedis, waitFor } from "../support/stack";
import { storedInOrder } from "../support/audit";

const cleanup = cleanupList();
after(() => cleanup.run());

async function createBoard(url: string, body: unknown): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  const response = await fetch(`${url}/api/boards`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get("retry-after") };
}

async function boardList(url: string): Promise<string[]> {
  const response = await fetch(`${url}/api/boards`);
  return boardListSchema.parse(await response.json()).boards.map((each) => each.slug);
}

const errorCode = (body: unknown) => z.object({ error: z.object({ code: z.string() }) }).parse(body).error.code;

test("boards over HTTP: made from the log, listed, each with its own messages in order; bad input changes nothing", async (t) => {
  const databaseUrl = await freshDatabase("boards");
  const { names, web } = await startApps(cleanup, "boards", { DATABASE_URL: databaseUrl, BOARD_BURST: "3", BOARDS_PER_HOUR: "1" });
  const url = web[0]!.url;

  const created = await createBoard(url, { name: "Kafka & Friends — Berlin" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body, { board: { slug: "kafka-friends-berlin", name: "Kafka & Friends — Berlin", latestAt: null } });
  const [record] = await readTopic(names.boardsTopic, 1);
  assert.equal(record?.key?.toString(), "kafka-friends-berlin", "the board is a record on the boards topic first");

  // Refusals, each a JSON 4xx that creates nothing.
  const refusals: [unknown, number, string][] = [
    [{ name: "Again", slug: "kafka-friends-berlin" }, 409, "board_exists"],
    [{ name: "main" }, 409, "board_exists"],
    [{ name: "" }, 400, "invalid_board"],
    [{ name: "   " }, 400, "invalid_board"],
    [{ name: "x".repeat(61) }, 400, "invalid_board"],
    [{ name: "bell\u0007" }, 400, "invalid_board"],
    [{ name: "!!!" }, 400, "invalid_board"],
    [{ name: "Slug", slug: "Not A Slug" }, 400, "invalid_board"],
    [{ name: "Slug", slug: "../etc" }, 400, "invalid_board"],
    [{ name: "Slug", slug: "-dash" }, 400, "invalid_board"],
    [{ name: "Slug", slug: "x".repeat(41) }, 400, "invalid_board"],
    [{ name: "Slug", owner: "me" }, 400, "invalid_board"],
    [["name"], 400, "invalid_board"],
  ];
  for (const [body, status, code] of refusals) {
    const answer = await createBoard(url, body);
    assert.deepEqual([answer.status, errorCode(answer.body)], [status, code], JSON.stringify(body));
  }
  const notJson = await fetch(`${url}/api/boards`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
  assert.equal(notJson.status, 400);
  assert.deepEqual(await boardList(url), ["main", "kafka-friends-berlin"]);

  // Viewers of each board, and one that is told of a board created while it watches.
  const fans = cleanup.add(watchBoard([url], { board: "kafka-friends-berlin" }), (viewer) => viewer.close());
  const main = cleanup.add(watchBoard([url]), (viewer) => viewer.close());
  await Promise.all([fans.connected(), main.connected()]);
  assert.equal((await createBoard(url, { name: "Second", slug: "second" })).status, 201);
  await waitFor("the new board announced", () => main.boardEvents.length > 0);
  assert.deepEqual(main.boardEvents, [{ slug: "second", name: "Second", latestAt: null }]);

  const sent = { main: [] as string[], fans: [] as string[] };
  for (const i of range(20)) {
    const a = await postMessage(url, { text: `main ${i}` });
    const b = await postMessage(url, { text: `fans ${i}`, board: "kafka-friends-berlin" });
    assert.deepEqual([a.status, b.status], [201, 201]);
    sent.main.push(messageSchema.parse(a.body).id);
    sent.fans.push(messageSchema.parse(b.body).id);
  }
  await waitFor("both viewers to have their 20", () => main.messages.length >= 20 && fans.messages.length >= 20);
  assert.deepEqual(
    fans.messages.map((message) => message.id),
    sent.fans,
    "the board's viewer gets its messages only, in order",
  );
  assert.deepEqual(
    main.messages.map((message) => message.id),
    sent.main,
  );
  assert.deepEqual(
    fans.messages.map((message) => message.seq),
    range(20).map((i) => i + 1),
    "each board counts its own positions",
  );
  await waitFor("activity of the other board", () => main.activity.some((change) => change["kafka-friends-berlin"] !== undefined));
  const listed = boardListSchema.parse(await (await fetch(`${url}/api/boards`)).json()).boards;
  assert.ok(listed.find((each) => each.slug === "kafka-friends-berlin")?.latestAt, "the list says when a board last had a message");

  // The same board over every API: recent history, older pages and search.
  const recent: unknown = await (await fetch(`${url}/api/messages?board=kafka-friends-berlin&limit=5`)).json();
  assert.deepEqual(
    z
      .object({ messages: z.array(z.object({ text: z.string() })) })
      .parse(recent)
      .messages.map((message) => message.text),
    ["fans 19", "fans 18", "fans 17", "fans 16", "fans 15"],
  );
  await waitFor("history to have the board", async () => {
    const page: unknown = await (await fetch(`${url}/api/history?board=kafka-friends-berlin&limit=50`)).json();
    return z.object({ messages: z.array(z.unknown()) }).parse(page).messages.length === 20;
  });
  const found: unknown = await (await fetch(`${url}/api/search?q=fans&board=main`)).json();
  assert.deepEqual(z.object({ results: z.array(z.unknown()) }).parse(found).results, [], "search in one board finds nothing of another");

  // An unknown board is a 404 everywhere, and a post to it reaches no topic.
  const unknown = [
    (await postMessage(url, { text: "lost?", board: "nowhere" })).status,
    (await fetch(`${url}/api/messages?board=nowhere`)).status,
    (await fetch(`${url}/api/messages/stream?board=nowhere`)).status,
    (await fetch(`${url}/api/history?board=nowhere`)).status,
    (await fetch(`${url}/api/search?q=x&board=nowhere`)).status,
    (await fetch(`${url}/b/nowhere`)).status,
    (await fetch(`${url}/b/Not_A_Slug`)).status,
  ];
  assert.deepEqual(unknown, [404, 404, 404, 404, 404, 404, 404]);
  assert.equal((await postMessage(url, { text: "bad board", board: "../x" })).status, 400);
  const moved = await fetch(`${url}/b/main`, { redirect: "manual" });
  assert.equal(new URL(moved.headers.get("location") ?? "", url).pathname, "/", "the default board lives at /");
  assert.equal((await fetch(`${url}/b/second`)).status, 200);

  // Boards are limited per client like posts: a burst of 3, then 429.
  assert.equal((await createBoard(url, { name: "Third" })).status, 201);
  const limited = await createBoard(url, { name: "Fourth" });
  assert.deepEqual([limited.status, errorCode(limited.body)], [429, "too_many_requests"]);
  assert.ok(Number(limited.retryAfter) > 0, "Retry-After says when");
  assert.deepEqual(await boardList(url), ["main", "kafka-friends-berlin", "second", "third"]);
  t.diagnostic(`${refusals.length + 1} bad creations refused; 4 boards; 20 + 20 messages each to its own viewer, in order`);
});

test("boards spread over partitions and consumers; a board split over two partitions still has one order", async (t) => {
  const { names, env, web } = await startApps(cleanup, "board-spread", { BOARD_BURST: "100", BOARDS_PER_HOUR: "10000" });
  cleanup.add(await startConsumerProcess(env, "board-spread-consumer-2"), (process) => process.stop());
  const url = web[0]!.url;
  const slugs = range(8).map((i) => `room-${i}`);
  for (const slug of slugs) assert.equal((await createBoard(url, { name: slug })).status, 201);
  for (const slug of slugs) assert.equal((await postMessage(url, { text: `hello ${slug}`, board: slug })).status, 201);
  const redis = cleanup.add(testRedis(), (client) => client.disconnect());
  const partitions = new Set<number>();
  for (const slug of slugs) {
    const [stored] = await waitFor(`${slug} stored`, async () => {
      const list = await storedInOrder(redis, names, 10, slug);
      return list.length > 0 && list;
    });
    partitions.add(stored!.partition);
  }
  assert.ok(partitions.size >= 2, `8 boards over ${partitions.size} partition(s)`);
  const admin = cleanup.add(testKafka().admin(), (client) => client.disconnect());
  await admin.connect();
  const members = await waitFor("two consumers sharing the partitions", async () => {
    const [group] = (await admin.describeGroups([names.group])).groups;
    return group?.members.length === 2 && group.members;
  });
  t.diagnostic(`8 boards on partitions ${[...partitions].sort().join(", ")}, read by ${members.length} consumers`);

  // Another producer's partitioner may put a board's records on other partitions: write them there by hand.
  const split = "room-0";
  const viewers = [0, 1].map(() => cleanup.add(watchBoard([url], { board: split }), (viewer) => viewer.close()));
  await Promise.all(viewers.map((viewer) => viewer.connected()));
  const producer = testKafka().producer();
  await producer.connect();
  cleanup.add(producer, (opened) => opened.disconnect());
  const sent: { partition: number; text: string }[] = [];
  for (const round of range(10)) {
    const batch = [0, 1, 2].map((partition) => ({ partition, text: `split ${round}.${partition}` }));
    sent.push(...batch);
    await Promise.all(
      batch.map(({ partition, text }) =>
        producer.send({ topic: names.topic, acks: -1, messages: [{ partition, key: split, value: JSON.stringify(createMessage({ text }, split)) }] }),
      ),
    );
  }
  await waitFor("both viewers to have the 30", () => viewers.every((viewer) => viewer.messages.length >= 30));
  const orders = viewers.map((viewer) => viewer.messages.filter((message) => message.text.startsWith("split")));
  assert.deepEqual(
    orders[0]!.map((message) => message.id),
    orders[1]!.map((message) => message.id),
    "every viewer sees one order",
  );
  const stored = (await storedInOrder(redis, names, 100, split)).filter((message) => message.text.startsWith("split"));
  assert.deepEqual(
    stored.map((message) => message.id),
    orders[0]!.map((message) => message.id),
    "the order the store keeps",
  );
  const seqs = (await storedInOrder(redis, names, 100, split)).map((message) => message.seq);
  assert.deepEqual(
    seqs,
    range(seqs.length).map((i) => i + 1),
    "dense positions",
  );
  for (const partition of [0, 1, 2]) {
    const texts = orders[0]!.filter((message) => message.partition === partition).map((message) => message.text);
    assert.deepEqual(
      texts,
      sent.filter((each) => each.partition === partition).map((each) => each.text),
      `partition ${partition}'s records in their offset order`,
    );
  }
});

test("in the browser: a new board opens at its address, the list is live, and one tab holds one stream", async (t) => {
  const { web } = await startApps(cleanup, "board-pages", { BOARD_BURST: "100", BOARDS_PER_HOUR: "10000" });
  const url = web[0]!.url;
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const [mine, theirs] = await Promise.all([1, 2].map(async () => (await browser.newContext()).newPage()));
  const other = board(theirs!);
  await other.open(url);

  const page = mine!;
  await board(page).open(url);
  await page.getByText("New board").click();
  await page.getByLabel("Name", { exact: true }).fill("Night owls");
  // The address is shown as it will be typed in a URL: in a fixed-width font, and made from the name.
  const address = page.getByLabel(/Address/);
  assert.equal(await address.inputValue(), "night-owls");
  assert.match(await address.evaluate((input) => getComputedStyle(input).fontFamily), /mono/i);
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(`${url}/b/night-owls`);
  await page.getByRole("heading", { name: "Night owls" }).waitFor();
  await page.getByRole("status").filter({ hasText: "Live" }).waitFor();

  // The other person's list shows the new board without a reload, and its activity once it has a message.
  const theirLink = theirs!.getByRole("navigation", { name: "Boards" }).getByRole("link", { name: /Night owls/ });
  await theirLink.waitFor();
  await board(page).send("first owl");
  await board(page).message("first owl").waitFor();
  await theirLink.filter({ hasText: "just now" }).waitFor({ timeout: 15_000 });
  assert.equal(await other.message("first owl").count(), 0, "a message of one board stays on it");

  // Back and forth between boards in one tab: one stream at a time, on the board shown.
  const viewers = async () => {
    const metrics = await (await fetch(`${url}/api/metrics`)).text();
    return Number(/^board_viewers (\d+)/m.exec(metrics)?.[1]);
  };
  const nav = page.getByRole("navigation", { name: "Boards" });
  for (const round of range(3)) {
    await nav.getByRole("link", { name: /main/ }).click();
    await page.waitForURL(`${url}/`);
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await board(page).message("first owl").waitFor({ state: "detached" });
    await nav.getByRole("link", { name: /Night owls/ }).click();
    await page.waitForURL(`${url}/b/night-owls`);
    await board(page).message("first owl").waitFor();
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    t.diagnostic(`round ${round + 1}: ${await viewers()} stream(s) open`);
  }
  await waitFor("one stream per page", async () => (await viewers()) === 2, { timeoutMs: 10_000 });
  await board(page).send("still one stream");
  await board(page).message("still one stream").waitFor();
});
