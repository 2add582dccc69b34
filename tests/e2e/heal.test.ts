// Redis is a view of the log: when it comes back empty, or without its last writes, the board heals itself
// with nobody acting. A redis-server of each test's own, real consumer and web processes, real pages.
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { startRedisServer, type RedisServer } from "../../scripts/stack/redis-server";
import { audit, clean, range, seconds, storedInOrder } from "../support/audit";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { client, count, freshDatabase } from "../support/postgres";
import { cleanupList, onFreePorts, postAccepted, postMessage, postUntilAccepted, stack, startApps, startRebuild, testRedis, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

async function ownRedis(name: string): Promise<{ server: () => RedisServer; crashAndRestart(): Promise<void> }> {
  const dataDir = path.join(stack.workDir, name);
  const output = { file: `${dataDir}.log` };
  let server = await onFreePorts(1, ([port = 0]) => startRedisServer({ port, dataDir, output }));
  cleanup.add(null, () => server.stop());
  return {
    server: () => server,
    async crashAndRestart() {
      await server.kill();
      server = await startRedisServer({ port: Number(new URL(server.url).port), dataDir, output });
    },
  };
}

test("FLUSHALL with pages open: the last 100 messages are back on every page within seconds, from PostgreSQL", async (t) => {
  const redisServer = await ownRedis("flushall");
  const redisUrl = redisServer.server().url;
  const databaseUrl = await freshDatabase("flushall");
  const database = client(cleanup, databaseUrl);
  const { names, web } = await startApps(cleanup, "flushall", { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const redis = cleanup.add(testRedis(redisUrl), (opened) => opened.disconnect());

  const sent: string[] = [];
  for (const i of range(150)) sent.push(await postAccepted(url, `message ${i}`));
  // A second board, which must come back too: its list, and the board itself in the list of boards.
  const created = await fetch(`${url}/api/boards`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"name":"Side"}' });
  assert.equal(created.status, 201);
  for (const i of range(5)) assert.equal((await postMessage(url, { text: `side ${i}`, board: "side" })).status, 201);
  await waitFor("history to have all 155", async () => (await count(database)) >= 155);
  await waitFor("the store to hold the newest 100", async () => (await storedInOrder(redis, names, 200)).at(-1)?.id === sent.at(-1));
  const before = (await storedInOrder(redis, names, 200)).map((message) => message.id);
  assert.deepEqual(before, sent.slice(-100));

  // Three people, each in a browser of their own.
  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const pages = await Promise.all(
    range(3).map(async () => {
      const page = await (await browser.newContext()).newPage();
      const view = board(page);
      await view.open(url);
      await view.message("message 149").waitFor();
      return view;
    }),
  );

  const flushedAt = performance.now();
  await redis.flushall();
  await waitFor("the store to be refilled", async () => (await redis.llen(names.list)) === 100, { timeoutMs: 30_000, intervalMs: 50 });
  const refilledMs = performance.now() - flushedAt;
  const after = (await storedInOrder(redis, names, 200)).map((message) => message.id);
  for (const view of pages) {
    await waitFor(
      "the page to show the refilled board",
      async () => (await view.messages.count()) === 100 && (await view.message("message 50").count()) === 1,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
  }
  const shownMs = performance.now() - flushedAt;
  assert.deepEqual(after, before, "the same 100 messages, in the same order");
  await waitFor("the other board back", async () => {
    const boards = await (await fetch(`${url}/api/boards`)).text();
    return boards.includes('"slug":"side"') && (await storedInOrder(redis, names, 10, "side")).length === 5;
  });
  assert.deepEqual(
    (await storedInOrder(redis, names, 10, "side")).map((message) => message.text),
    range(5).map((i) => `side ${i}`),
  );

  // And the board goes on: a post after the refill reaches every page.
  const next = await postAccepted(url, "after the flush");
  for (const view of pages) await view.message("after the flush").waitFor({ timeout: 30_000 });
  assert.equal((await storedInOrder(redis, names, 200)).at(-1)?.id, next);
  t.diagnostic(`store refilled ${seconds(refilledMs)} after FLUSHALL; all 3 pages showed the 100 again ${seconds(shownMs)} after it`);
});

test("Redis killed with kill -9 while posts flow (appendfsync everysec): afterwards nothing Kafka has is missing from the board", async (t) => {
  const redisServer = await ownRedis("redis-kill");
  const redisUrl = redisServer.server().url;
  const { names, web } = await startApps(cleanup, "redis-kill", { REDIS_URL: redisUrl, MESSAGES_LIMIT: "5000" });
  const url = web[0]!.url;
  const redis = cleanup.add(testRedis(redisUrl), (opened) => opened.disconnect());

  // Four clients, each retrying a refused post with its id, as the page does.
  let refused = 0;
  const sending = Promise.all(
    range(4).map(async (client) => {
      const ids: string[] = [];
      const onAnswer = (accepted: boolean) => void (accepted || refused++);
      for (const i of range(250)) ids.push(await postUntilAccepted(url, { text: `client ${client} message ${i}` }, { onAnswer }));
      return ids;
    }),
  );
  await waitFor("300 stored", async () => (await redis.llen(names.list).catch(() => 0)) >= 300);
  const killedAt = performance.now();
  await redisServer.crashAndRestart();
  const sent = (await sending).flat();
  const stored = await waitFor(
    "every accepted post on the board",
    async () => {
      const messages = await storedInOrder(redis, names, 5000).catch(() => []);
      return messages.length >= sent.length && messages;
    },
    { timeoutMs: 90_000 },
  );
  const figures = audit(stored, sent);
  t.diagnostic(
    `Redis killed and restarted; ${refused} post(s) refused meanwhile and retried; ${JSON.stringify(figures)}; whole ${seconds(performance.now() - killedAt)} after the kill`,
  );
  assert.deepEqual(clean(figures), { lost: 0, duplicated: 0, reordered: 0 });
});

test("npm run rebuild -- redis with a page open: the list is rebuilt from the log, the page shows it, posting goes on", async (t) => {
  const { names, env, web } = await startApps(cleanup, "rebuild-redis");
  const url = web[0]!.url;
  const redis = cleanup.add(testRedis(), (opened) => opened.disconnect());
  const sent: string[] = [];
  for (const i of range(150)) sent.push(await postAccepted(url, `message ${i}`));
  await waitFor("the newest stored", async () => (await storedInOrder(redis, names, 200)).at(-1)?.id === sent.at(-1));
  const before = (await storedInOrder(redis, names, 200)).map((message) => message.id);

  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const view = board(await (await browser.newContext()).newPage());
  await view.open(url);
  await view.message("message 149").waitFor();

  const rebuild = startRebuild(cleanup, "redis", env);
  const took = await rebuild.done();
  assert.deepEqual(
    (await storedInOrder(redis, names, 200)).map((message) => message.id),
    before,
    "the newest 100, as before",
  );
  await waitFor("the page to show the rebuilt list", async () => (await view.messages.count()) === 100 && (await view.message("message 50").count()) === 1);
  assert.equal((await postMessage(url, { text: "after the rebuild" })).status, 201);
  await view.message("after the rebuild").waitFor();
  t.diagnostic(`Redis rebuilt from the log in ${took} s`);
});
