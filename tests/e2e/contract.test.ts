// One API, two servers: the same cases asked of the custom server `npm start` runs (the fast path, our
// handlers straight from node:http) and of the route handlers in src/app/api under plain `next start`
// (`npm run start:next`), both on one pipeline with lasting history. The pages are asked too.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { boardSummarySchema } from "../../src/lib/messages/boards";
import { historySchema, messageSchema, olderPageSchema, searchResultsSchema } from "../../src/lib/messages/schema";
import type { WebMode } from "../../scripts/stack/app-processes";
import { freshDatabase } from "../support/postgres";
import { watchBoard } from "../support/sse-viewer";
import { appEnv, cleanupList, postAccepted, startConsumerProcess, startWebProcess, uniqueNames, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

const SERVERS: [WebMode, string][] = [
  ["production", "the custom server (npm start)"],
  ["plain-next", "the route handlers under next start (npm run start:next)"],
];
const urls = new Map<WebMode, string>();

before(async () => {
  const env = appEnv(uniqueNames("contract"), { DATABASE_URL: await freshDatabase("contract") });
  cleanup.add(await startConsumerProcess(env, "contract-consumer"), (process) => process.stop());
  for (const [mode] of SERVERS) urls.set(mode, cleanup.add(await startWebProcess(env, `contract-${mode}`, mode), (process) => process.stop()).url);
});

const send = (url: string, method: string, body?: string, contentType = "application/json") =>
  fetch(url, { method, headers: body === undefined ? {} : { "Content-Type": contentType }, body });
const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
};
const viewersOn = async (url: string) => Number(/^board_viewers (\d+)$/m.exec(await (await fetch(`${url}/api/metrics`)).text())?.[1]);

for (const [mode, label] of SERVERS) {
  describe(label, () => {
    let url = "";
    const board = `contract-${mode}`;
    const post = (text: string) => postAccepted(url, text, board);
    before(() => void (url = urls.get(mode) ?? ""));

    test("a board is created through the log and listed", async () => {
      const created = await send(`${url}/api/boards`, "POST", JSON.stringify({ name: `Contract ${mode}`, slug: board }));
      assert.ok([201, 202].includes(created.status), `created: ${created.status}`);
      await waitFor("the board in the list", async () => {
        const { body } = await json(`${url}/api/boards`);
        return boardSummarySchema
          .array()
          .parse((body as { boards: unknown }).boards)
          .some((each) => each.slug === board);
      });
      const again = await send(`${url}/api/boards`, "POST", JSON.stringify({ name: "x", slug: "Not A Slug!" }));
      assert.equal(again.status, 400);
    });

    test("a post is answered once Kafka has it, and the board's history and lasting history then hold it", async () => {
      const response = await send(`${url}/api/messages`, "POST", JSON.stringify({ text: "  first  ", board, author: "Ada" }));
      assert.equal(response.status, 201);
      const first = messageSchema.parse(await response.json());
      assert.equal(first.text, "first");
      const second = await post("second");
      const history = await waitFor("both in the board's history", async () => {
        const { body } = await json(`${url}/api/messages?board=${board}`);
        const current = historySchema.parse(body);
        return current.messages.length === 2 && current;
      });
      assert.deepEqual(
        history.messages.map((message) => message.id),
        [second, first.id],
        "newest first",
      );
      const older = await waitFor("the older one in lasting history", async () => {
        const { status, body } = await json(`${url}/api/history?board=${board}&before=${second}`);
        return status === 200 && olderPageSchema.parse(body).messages.length === 1 && olderPageSchema.parse(body);
      });
      assert.equal(older.messages[0]?.id, first.id);
      const { body: found } = await json(`${url}/api/search?q=first&board=${board}`);
      assert.deepEqual(
        searchResultsSchema.parse(found).results.map((hit) => hit.message.id),
        [first.id],
      );
    });

    test("bad input and unknown addresses are JSON errors that say what is wrong", async () => {
      const cases: [string, string, string | undefined, string, number, string][] = [
        ["/api/messages", "POST", "{not json", "application/json", 400, "invalid_json"],
        ["/api/messages", "POST", JSON.stringify({ text: " " }), "application/json", 400, "invalid_message"],
        ["/api/messages", "POST", "text=hi", "application/x-www-form-urlencoded", 415, "unsupported_media_type"],
        ["/api/messages", "POST", JSON.stringify({ text: "x".repeat(20_000) }), "application/json", 413, "payload_too_large"],
        ["/api/messages", "POST", JSON.stringify({ text: "hi", board: "nope-nope" }), "application/json", 404, "unknown_board"],
        ["/api/messages?limit=zero", "GET", undefined, "", 400, "invalid_query"],
        ["/api/messages", "DELETE", undefined, "", 405, "method_not_allowed"],
        ["/api/nothing-here", "GET", undefined, "", 404, "not_found"],
      ];
      for (const [path, method, body, contentType, status, code] of cases) {
        const response = await send(`${url}${path}`, method, body, contentType);
        assert.equal(response.status, status, `${method} ${path}`);
        assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
        const error = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(error.error.code, code, `${method} ${path}: ${error.error.message}`);
      }
      assert.equal((await send(`${url}/api/messages`, "DELETE")).headers.get("allow"), "GET, POST");
    });

    test("the live stream delivers new posts and resumes from Last-Event-ID without gaps or repeats", async () => {
      const viewer = watchBoard([url], { board, reconnect: false });
      await viewer.connected();
      const live = await post("seen live");
      await waitFor("the post on the stream", () => viewer.messages.some((message) => message.id === live));
      viewer.close();
      await waitFor("the closed stream to leave the viewers", async () => (await viewersOn(url)) === 0);

      const missed = [await post("missed 1"), await post("missed 2")];
      const resumed = watchBoard([url], { board, lastEventId: viewer.lastEventId, reconnect: false });
      await waitFor("the missed posts", () => resumed.messages.length >= 2);
      assert.deepEqual(
        resumed.messages.map((message) => message.id),
        missed,
      );
      resumed.close();
    });

    test("the pages render, and what does not exist is a 404 page", async () => {
      const page = await fetch(`${url}/b/${board}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /seen live/);
      for (const path of ["/b/no-such-board", `/m/${randomUUID()}`]) assert.equal((await fetch(`${url}${path}`)).status, 404, path);
    });
  });
}
