// Reactions through the real pipeline: the web process, the reactions topic, the exactly-once processor,
// its result topics and the live view in Redis. The processor is killed with kill -9 while readers react.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { inspectionSchema } from "../../src/lib/inspection";
import { boardListSchema } from "../../src/lib/messages/boards";
import { archivedMessageSchema, historySchema } from "../../src/lib/messages/schema";
import type { Page } from "playwright";
import { WebSocket } from "ws";
import { z } from "zod";
import { board, launchBrowser } from "../../scripts/stack/browser";
import path from "node:path";
import { startOwnKafka } from "../../scripts/stack/own-stack";
import {
  cleanupList,
  postAccepted,
  readTopic,
  stack,
  startApps,
  startProcessorProcess,
  startRebuild,
  startWebProcess,
  testKafka,
  waitFor,
} from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const EMOJI = ["👍", "❤️", "🎉"] as const;
const READERS = 8;
const REACTIONS = 1000;

type Reader = { cookie: string | undefined };

/** Gives or takes back one reaction as a browser would; true once acknowledged. */
async function react(url: string, reader: Reader, id: string, emoji: string, on: boolean): Promise<number> {
  const response = await fetch(`${url}/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`, {
    method: on ? "PUT" : "DELETE",
    headers: reader.cookie ? { cookie: reader.cookie } : {},
  });
  const given = response.headers.get("set-cookie");
  if (given) reader.cookie = given.split(";")[0];
  await response.arrayBuffer();
  return response.status;
}

test("the processor killed with kill -9 while 8 readers react 1,000 times, then the view rebuilt while they go on: every count is what the acknowledged reactions add up to", async (t) => {
  const { web, env } = await startApps(cleanup, "reactions", { KAFKA_SESSION_TIMEOUT_MS: "6000", DATABASE_URL: stack.databaseUrl });
  const url = web[0]!.url;
  const processors = [cleanup.add(await startProcessorProcess(env, "reactions-processor-1"), (started) => started.stop())];
  const ids: string[] = [];
  for (let i = 1; i <= 4; i++) ids.push(await postAccepted(url, `react to this, ${i}`));
  // Garbage straight onto the reactions topic goes to its dead letters, in the processor's transactions.
  const raw = cleanup.add(testKafka().producer(), (producer) => producer.disconnect());
  await raw.connect();
  await raw.send({
    topic: env.KAFKA_REACTIONS_TOPIC!,
    messages: [
      { key: ids[0]!, value: Buffer.from([0xff, 0x00, 0xfe]) },
      { key: ids[0]!, value: JSON.stringify({ message: ids[0], emoji: "🦄", on: true }) },
    ],
  });

  // What each reader has given, by the last acknowledged request for each message and emoji.
  const readers: Reader[] = Array.from({ length: READERS }, () => ({ cookie: undefined }));
  const given = new Map<string, Set<number>>();
  let acknowledged = 0;
  const posts: string[] = [];
  const created = await fetch(`${url}/api/boards`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "tally" }),
  });
  assert.equal(created.status, 201);
  // Killed at 30% of the reactions, and again once its successor has taken the partitions and 20% more
  // came: each time while transactions are under way. The readers go on until both kills are done.
  const acknowledgedAt = (count: number) => waitFor(`${count} reactions`, () => acknowledged >= count, { timeoutMs: 60_000 });
  const kills = (async () => {
    for (const [round, at] of [REACTIONS * 0.3, REACTIONS * 0.5].entries()) {
      await acknowledgedAt(acknowledged + at);
      await processors.at(-1)!.kill();
      processors.push(cleanup.add(await startProcessorProcess(env, `reactions-processor-${round + 2}`), (started) => started.stop()));
    }
  })();
  let killed = false;
  void kills.finally(() => (killed = true));
  /** The readers react (and now and then post) until `done` says stop. */
  const reactUntil = (done: () => boolean) =>
    Promise.all(
      readers.map(async (reader, n) => {
        for (let i = 0; !done(); i++) {
          const id = ids[(i * 7 + n) % ids.length]!;
          const emoji = EMOJI[(i + n) % EMOJI.length]!;
          const on = (i * 31 + n * 17) % 5 < 3;
          const status = await react(url, reader, id, emoji, on);
          assert.equal(status, 204, "every reaction is acknowledged: the web process does not need the processor");
          const key = `${id} ${emoji}`;
          const who = given.get(key) ?? new Set<number>();
          if (on) who.add(n);
          else who.delete(n);
          given.set(key, who);
          acknowledged++;
          // Posts too, which the processor counts per board: a count that a replay would double.
          if (i % 40 === n) posts.push(await postAccepted(url, `a post among the reactions, ${n}.${i}`, "tally"));
        }
      }),
    );
  await reactUntil(() => acknowledged >= REACTIONS && killed);
  await kills;
  t.diagnostic(`${acknowledged} reactions acknowledged`);
  assert.equal(processors.length, 3, "killed twice while the readers reacted");

  // The live view rebuilt from the result topics while the readers go on reacting.
  const rebuild = startRebuild(cleanup, "reactions", env);
  let rebuilt = false;
  const flowing = reactUntil(() => rebuilt);
  t.diagnostic(`the reactions view rebuilt in ${await rebuild.done()} s while reactions flowed`);
  rebuilt = true;
  await flowing;

  const expected: Record<string, Record<string, number>> = Object.fromEntries(
    ids.map((id) => [id, Object.fromEntries(EMOJI.map((emoji) => [emoji, given.get(`${id} ${emoji}`)?.size ?? 0]).filter(([, count]) => count !== 0))]),
  );
  let shown: Record<string, unknown> = {};
  await waitFor(
    "the board to show the counts the acknowledged reactions add up to",
    async () => {
      const history = historySchema.parse(await (await fetch(`${url}/api/messages`)).json());
      shown = Object.fromEntries(history.messages.map((message) => [message.id, message.reactions ?? {}]));
      return JSON.stringify(ids.map((id) => shown[id])) === JSON.stringify(ids.map((id) => expected[id]));
    },
    { timeoutMs: 60_000 },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nexpected ${JSON.stringify(expected)}\nshown ${JSON.stringify(shown)}`);
  });
  t.diagnostic(`counts after two kills: ${JSON.stringify(expected)}`);
  await waitFor(`the board's last minute to count its ${posts.length} posts, each once`, async () => {
    const { boards } = boardListSchema.parse(await (await fetch(`${url}/api/boards`)).json());
    return boards.find((board) => board.slug === "tally")?.perMinute === posts.length;
  });

  // The inspector shows the processor caught up, and its topics.
  await waitFor("the inspector to show the processor caught up", async () => {
    const { processor } = inspectionSchema.parse(await (await fetch(`${url}/api/inspect`)).json());
    const held = new Map(processor.topics.map(({ topic, records }) => [topic, records]));
    return (
      processor.group.groupId === env.PROCESSOR_GROUP &&
      processor.group.members.length === 1 &&
      processor.group.totalLag === 0 &&
      processor.messagesLag === 0 &&
      (held.get(env.KAFKA_REACTIONS_TOPIC!) ?? 0) >= acknowledged &&
      (held.get(env.KAFKA_REACTION_COUNTS_TOPIC!) ?? 0) > 0
    );
  });

  // History has the same counts, from the same result topic.
  await waitFor("history to have the same counts", async () => {
    const archived = await Promise.all(ids.map(async (id) => archivedMessageSchema.parse(await (await fetch(`${url}/api/history/message?id=${id}`)).json())));
    return JSON.stringify(archived.map((message) => message.reactions ?? {})) === JSON.stringify(ids.map((id) => expected[id]));
  });

  const dead = await readTopic(env.KAFKA_REACTIONS_DLQ_TOPIC!, 2);
  assert.deepEqual(
    dead.map((record) => record.headers?.["dlq.reason"]?.toString().split(":")[0]),
    ["not UTF-8", "not a reaction"],
  );

  // Each reader sees which it gave.
  const mine = async (reader: Reader) =>
    historySchema.parse(await (await fetch(`${url}/api/messages`, { headers: { cookie: reader.cookie ?? "" } })).json()).messages;
  for (const [n, reader] of readers.entries()) {
    for (const message of (await mine(reader)).filter((each) => ids.includes(each.id))) {
      const gave = EMOJI.filter((emoji) => given.get(`${message.id} ${emoji}`)?.has(n));
      assert.deepEqual(message.mine ?? [], gave, `reader ${n} on ${message.id}`);
    }
  }
});

test("three windows on a board, one over WebSocket: reactions given and taken back show the same counts in all three within a second; presence 3, then 2", async () => {
  const { web, env } = await startApps(cleanup, "reacting");
  const url = web[0]!.url;
  cleanup.add(await startProcessorProcess(env, "reacting-processor"), (started) => started.stop());
  await postAccepted(url, "Which do you like?");
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const windows: Page[] = [];
  // The third reads the board over WebSocket, as its setting asks.
  for (const address of [url, url, `${url}/?transport=websocket`]) {
    const page = await (await browser.newContext()).newPage();
    await board(page).open(address);
    windows.push(page);
  }
  const [ann, bob, carol] = windows as [Page, Page, Page];
  await Promise.all(windows.map((page) => page.getByText("3 reading now", { exact: true }).waitFor()));

  const message = (page: Page) => board(page).message("Which do you like?");
  const counted = (page: Page, emoji: string, count: number) => message(page).getByRole("button", { name: `${emoji} ${count}`, exact: true });
  /** Every window shows `count` within a second of the click. */
  const everywhere = async (emoji: string, count: number) => {
    const clicked = Date.now();
    await Promise.all(windows.map((page) => counted(page, emoji, count).waitFor({ timeout: 5000 })));
    const ms = Date.now() - clicked;
    assert.ok(ms < 1000, `${emoji} ${count} everywhere after ${ms} ms`);
  };
  const pick = async (page: Page, emoji: string) => {
    await message(page).getByRole("button", { name: "Add a reaction" }).click();
    await message(page)
      .getByRole("button", { name: `React with ${emoji}` })
      .click();
  };

  await pick(ann, "👍");
  await everywhere("👍", 1);
  await pick(bob, "👍");
  await everywhere("👍", 2);
  assert.equal(await counted(ann, "👍", 2).getAttribute("aria-pressed"), "true", "Ann sees she gave it");
  assert.equal(await counted(carol, "👍", 2).getAttribute("aria-pressed"), "false", "Carol gave none");
  await pick(bob, "🎉");
  await everywhere("🎉", 1);
  // Taken back: Ann's thumbs up, by pressing it again.
  await counted(ann, "👍", 2).click();
  await everywhere("👍", 1);
  assert.equal(await counted(ann, "👍", 1).getAttribute("aria-pressed"), "false");

  // What each gave survives a reload: the page is rendered with the reader's own reactions.
  await bob.reload();
  await counted(bob, "🎉", 1).waitFor();
  assert.equal(await counted(bob, "🎉", 1).getAttribute("aria-pressed"), "true");
  assert.equal(await counted(bob, "👍", 1).getAttribute("aria-pressed"), "true");

  assert.equal(await carol.evaluate(() => localStorage.getItem("message-board:transport")), "websocket");
  await pick(carol, "😮");
  await everywhere("😮", 1);
  // Over a WebSocket a reaction can travel the other way too: sent on the socket, answered on it, and
  // shown in every window like any other.
  const [asked] = historySchema.parse(await (await fetch(`${url}/api/messages`)).json()).messages;
  const socket = cleanup.add(new WebSocket(`${url.replace(/^http/, "ws")}/api/messages/ws`), (opened) => opened.terminate());
  const replies: { event: string; data: unknown }[] = [];
  socket.on("message", (data: Buffer) => {
    const parsed = z.object({ event: z.string(), data: z.unknown() }).parse(JSON.parse(data.toString("utf8")));
    if (parsed.event === "reacted" || parsed.event === "error") replies.push(parsed);
  });
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ event: "react", data: { id: asked!.id, emoji: "🙏", on: true } }));
  socket.send(JSON.stringify({ event: "react", data: { id: asked!.id, emoji: "🦄", on: true } }));
  socket.send("not json");
  await waitFor("three answers on the socket", () => replies.length >= 3);
  assert.deepEqual(
    replies.map(({ event, data }) => [event, z.object({ code: z.string().optional() }).parse(data).code]),
    [
      ["reacted", undefined],
      ["error", "invalid_reaction"],
      ["error", "invalid_message"],
    ],
  );
  await everywhere("🙏", 1);
  socket.terminate();

  // Without lasting history, an instance that started after the post finds the message in the store's
  // lists; an id the store never had is a 404.
  const late = cleanup.add(await startWebProcess(env, "reacting-web-late"), (started) => started.stop());
  const put = (id: string) => fetch(`${late.url}/api/messages/${id}/reactions/${encodeURIComponent("😂")}`, { method: "PUT" });
  assert.equal((await put(asked!.id)).status, 204);
  assert.equal((await put(randomUUID())).status, 404);
  await everywhere("😂", 1);

  await carol.context().close();
  await Promise.all([ann, bob].map((page) => page.getByText("2 reading now", { exact: true }).waitFor({ timeout: 10_000 })));
});

test("Kafka restarted while readers react: a refused reaction is sent again until taken, and every count is what was acknowledged", async (t) => {
  const broker = cleanup.add(await startOwnKafka(path.join(stack.workDir, `reactions-kafka-${Date.now()}`), 1), (cluster) => cluster.stop());
  const { web, env } = await startApps(cleanup, "reactions-restart", { KAFKA_BROKERS: broker.brokers.join(","), KAFKA_SESSION_TIMEOUT_MS: "6000" });
  const url = web[0]!.url;
  cleanup.add(await startProcessorProcess(env, "reactions-restart-processor"), (started) => started.stop());
  const ids = [await postAccepted(url, "through a restart, 1"), await postAccepted(url, "through a restart, 2")];
  const readers: Reader[] = Array.from({ length: 4 }, () => ({ cookie: undefined }));
  const given = new Map<string, Set<number>>();
  let acknowledged = 0;
  let refused = 0;
  let restarted = false;
  const reacting = Promise.all(
    readers.map(async (reader, n) => {
      for (let i = 0; !restarted || acknowledged < 600; i++) {
        const id = ids[(i + n) % ids.length]!;
        const emoji = EMOJI[(i * 5 + n) % EMOJI.length]!;
        const on = (i * 13 + n * 7) % 3 !== 0;
        // A reaction Kafka did not take is sent again, the same, until it is (the page says "Not saved; try again").
        for (;;) {
          const status = await react(url, reader, id, emoji, on);
          if (status === 204) break;
          assert.equal(status, 503, "only Kafka being away may refuse a reaction here");
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const who = given.get(`${id} ${emoji}`) ?? new Set<number>();
        if (on) who.add(n);
        else who.delete(n);
        given.set(`${id} ${emoji}`, who);
        acknowledged++;
      }
    }),
  );
  await waitFor("200 reactions", () => acknowledged >= 200, { timeoutMs: 60_000 });
  await broker.stopNode(1);
  await waitFor("a refusal while Kafka is away", () => refused > 0, { timeoutMs: 30_000 });
  await broker.startNode(1);
  restarted = true;
  await reacting;
  t.diagnostic(`${acknowledged} reactions acknowledged, ${refused} refused while Kafka was away and sent again`);

  const countsFor = (id: string) => {
    const counts: Record<string, number> = {};
    for (const emoji of EMOJI) if (given.get(`${id} ${emoji}`)?.size) counts[emoji] = given.get(`${id} ${emoji}`)!.size;
    return counts;
  };
  const expected = ids.map(countsFor);
  let shown: unknown[] = [];
  await waitFor(
    "the counts the acknowledged reactions add up to",
    async () => {
      const { messages } = historySchema.parse(await (await fetch(`${url}/api/messages`)).json());
      shown = ids.map((id) => messages.find((message) => message.id === id)?.reactions ?? {});
      return JSON.stringify(shown) === JSON.stringify(expected);
    },
    { timeoutMs: 90_000 },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nexpected ${JSON.stringify(expected)}\nshown ${JSON.stringify(shown)}`);
  });
});
