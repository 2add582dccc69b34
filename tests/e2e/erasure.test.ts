// Erasure: after `npm run erase -- <id>` the message's text (and its edits') is nowhere the board keeps data:
// the topic, Kafka's files, Redis and its append-only file, PostgreSQL, search; every other message is
// intact and in order, and the board goes on taking posts.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { historySchema, messageSchema, olderPageSchema, searchResultsSchema } from "../../src/lib/messages/schema";
import { decodeRecord } from "../../src/lib/kafka/record";
import { runToEnd, startProcess } from "../../scripts/stack/processes";
import { PROJECT_ROOT } from "../../scripts/stack/paths";
import { freshDatabase, historyOf } from "../support/postgres";
import { cleanupList, postAccepted, readTopic, stack, startApps, testRedis, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

/** Every file under `dir` whose bytes contain `text`. */
function filesHolding(dir: string, text: string): string[] {
  const needle = Buffer.from(text);
  const found: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const file = path.join(at, name);
      let stat;
      try {
        stat = statSync(file);
      } catch {
        continue; // removed meanwhile
      }
      if (stat.isDirectory()) walk(file);
      else if (stat.isFile()) {
        try {
          if (readFileSync(file).includes(needle)) found.push(file);
        } catch {
          // removed meanwhile
        }
      }
    }
  };
  walk(dir);
  return found;
}

/** Every value in Redis that holds `text`, whatever its type. */
async function redisHolding(text: string): Promise<string[]> {
  const redis = testRedis();
  try {
    const found: string[] = [];
    for await (const keys of redis.scanStream({ count: 500 })) {
      for (const key of keys as string[]) {
        const type = await redis.type(key);
        const values =
          type === "string"
            ? [(await redis.get(key)) ?? ""]
            : type === "list"
              ? await redis.lrange(key, 0, -1)
              : type === "hash"
                ? Object.entries(await redis.hgetall(key)).flat()
                : type === "zset"
                  ? await redis.zrange(key, "0", "-1")
                  : type === "set"
                    ? await redis.smembers(key)
                    : [];
        if (key.includes(text) || values.some((value) => value.includes(text))) found.push(key);
      }
    }
    return found;
  } finally {
    redis.disconnect();
  }
}

/** Every row of every table of the board's database that holds `text`. */
async function postgresHolding(url: string, text: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
    const found: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      for (const { row } of rows) if (row.includes(text)) found.push(`${name}: ${row}`);
    }
    return found;
  } finally {
    await client.end();
  }
}

test("an erased message's text, and its edit's, is found nowhere the board keeps data; every other message stays, in order", async (t) => {
  const databaseUrl = await freshDatabase("erasure");
  const { web, env } = await startApps(cleanup, "erasure", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const secret = `call me on +49 ${randomInt(100_000_000, 999_999_999)}`;
  const edited = `${secret}, evenings`;
  assert.equal(
    (await fetch(`${url}/api/boards`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "other" }) })).status,
    201,
  );

  // A signed-in author posts the secret between ordinary posts, then edits it (its text twice on the log).
  const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: url },
    body: JSON.stringify({ name: "Erin", email: "erin@example.com", password: "correct horse battery" }),
  });
  const cookie = signUp.headers.getSetCookie()[0]!.split(";")[0]!;
  const ids = { main: [] as string[], other: [] as string[] };
  for (let i = 0; i < 5; i++) ids.main.push(await postAccepted(url, `before ${i}`));
  const posted = await fetch(`${url}/api/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", cookie, Origin: url },
    body: JSON.stringify({ text: secret }),
  });
  const erased = messageSchema.parse(await posted.json()).id;
  assert.equal(
    (
      await fetch(`${url}/api/messages/${erased}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json", cookie, Origin: url },
        body: JSON.stringify({ text: edited }),
      })
    ).status,
    200,
  );
  for (let i = 0; i < 5; i++) ids.main.push(await postAccepted(url, `after ${i}`));
  for (let i = 0; i < 5; i++) ids.other.push(await postAccepted(url, `elsewhere ${i}`, "other"));
  const history = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  cleanup.add(history, (pool) => pool.end());
  await historyOf(history, 16);
  await waitFor("the edit in history", async () => (await history.query("SELECT 1 FROM messages WHERE text = $1", [edited])).rows.length === 1);
  assert.ok((await postgresHolding(databaseUrl, secret)).length > 0, "history holds it before");
  assert.ok((await redisHolding(secret)).length > 0, "Redis holds it before");

  const erase = cleanup.add(
    startProcess("erase", "npm", ["run", "erase", "--", erased], { cwd: PROJECT_ROOT, env, output: { file: path.join(stack.workDir, "erase.log") } }),
    (started) => started.stop(),
  );
  await runToEnd(erase);
  t.diagnostic(
    erase
      .recentOutput()
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("[erase]"))
      .join("\n"),
  );

  // The log: every record still there, the erased ones now deletions, the text in none.
  const records = await readTopic(env.KAFKA_TOPIC!, 17);
  assert.equal(records.length, 17);
  assert.ok(records.every((record) => !record.value?.toString().includes("call me on")));
  const kinds = records
    .map((record) => decodeRecord(record.value))
    .map((decoded) => (decoded.ok ? (decoded.change ? `${decoded.change.kind} ${decoded.change.target === erased}` : "message") : decoded.reason));
  assert.equal(kinds.filter((kind) => kind === "delete true").length, 2, "the post and its edit, each now a deletion");
  assert.equal(kinds.filter((kind) => kind === "message").length, 15);

  // Kafka's files (the old topic's and the copy's are deleted), Redis and its append-only file, PostgreSQL.
  await waitFor("Kafka's files without it", () => filesHolding(path.join(stack.workDir, "kafka"), "call me on +49").length === 0, { timeoutMs: 60_000 });
  assert.deepEqual(await redisHolding("call me on +49"), []);
  assert.deepEqual(filesHolding(path.join(stack.workDir, "redis"), "call me on +49"), []);
  assert.deepEqual(await postgresHolding(databaseUrl, "call me on +49"), []);
  const search = searchResultsSchema.parse(await (await fetch(`${url}/api/search?q=call`)).json());
  assert.deepEqual(search.results, []);
  assert.equal((await fetch(`${url}/api/history/message?id=${erased}`)).status, 404);

  // Every other message, in its board's order, in the live lists and in history.
  const live = async (board: string) =>
    historySchema.parse(await (await fetch(`${url}/api/messages?board=${board}`)).json()).messages.map((message) => message.id);
  const older = async (board: string) =>
    olderPageSchema.parse(await (await fetch(`${url}/api/history?board=${board}`)).json()).messages.map((message) => message.id);
  for (const board of ["main", "other"] as const) {
    const expected = ids[board].toReversed();
    await waitFor(`${board}'s live list rebuilt`, async () => JSON.stringify(await live(board)) === JSON.stringify(expected));
    await waitFor(`${board}'s history rebuilt`, async () => JSON.stringify(await older(board)) === JSON.stringify(expected));
  }
  // And the board goes on.
  const next = await postAccepted(url, "life goes on");
  await waitFor("a new post stored", async () => (await live("main"))[0] === next);
});
