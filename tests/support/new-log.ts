// What a person checks after Kafka's log changed under the board (another cluster, a topic made again, data
// removed): the apps started against it on the same Redis and PostgreSQL, a stream opened, posts made, and
// each post in every view, once.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { historySchema, olderPageSchema, searchResultsSchema } from "../../src/lib/messages/schema";
import { range } from "./audit";
import { watchBoard } from "./sse-viewer";
import { logOf, postMessage, startConsumerProcess, startWebProcess, waitFor, type Cleanup } from "./stack";

const getJson = async (url: string) => {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url} answered ${response.status}`);
  return (await response.json()) as unknown;
};

/** The ids in the board's recent list (Redis), in history's newest page (PostgreSQL), and found by search. */
export async function viewsOf(url: string, word: string) {
  const [recent, history, search] = await Promise.all([
    getJson(`${url}/api/messages?limit=100`).then((body) => historySchema.parse(body).messages.map((message) => message.id)),
    getJson(`${url}/api/history?limit=100`).then((body) => olderPageSchema.parse(body).messages.map((message) => message.id)),
    getJson(`${url}/api/search?q=${word}&limit=100`).then((body) => searchResultsSchema.parse(body).results.map((hit) => hit.message.id)),
  ]);
  return { recent, history, search };
}

const duplicates = (ids: readonly string[]) => ids.length - new Set(ids).size;

/** Every id of `expected` in what `read` gives (and, if `once`, none twice), within `timeoutMs`. */
export async function eachOnce(what: string, read: () => Promise<readonly string[]>, expected: readonly string[], { once = true, timeoutMs = 10_000 } = {}) {
  let ids: readonly string[] = [];
  const arrived = async () => {
    ids = await read();
    return expected.every((id) => ids.includes(id));
  };
  await waitFor(what, arrived, { timeoutMs }).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${expected.filter((id) => !ids.includes(id)).length} of ${expected.length} missing`);
  });
  if (once) assert.equal(duplicates(ids), 0, `${what}: a message twice`);
  return ids;
}

/**
 * A consumer and a web process on `env` (a log they have not seen, on the Redis and PostgreSQL of earlier
 * phases); a stream opened, then `count` posts whose text holds `word`. Resolves once each post is in the
 * recent list, on the stream, in history and in search, each once, within 10 s of the last post; stops
 * the apps then. Resolves to the posts' ids, and the consumer's log.
 */
export async function postOnNewLog(cleanup: Cleanup, label: string, env: Record<string, string>, word: string, count: number) {
  const consumer = await startConsumerProcess(env, `${label}-consumer`);
  const web = await startWebProcess(env, `${label}-web`);
  try {
    const viewer = watchBoard([web.url]);
    cleanup.add(viewer, (opened) => opened.close());
    await viewer.connected();
    const ids: string[] = [];
    for (const i of range(count)) {
      const id = randomUUID();
      const { status, body } = await postMessage(web.url, { id, text: `${word} ${i}` });
      assert.equal(status, 201, JSON.stringify(body));
      ids.push(id);
    }
    const views = () => viewsOf(web.url, word);
    await eachOnce("the posts in the recent list", async () => (await views()).recent, ids);
    // A stream may send a message again after a reset (the page then replaces its list): arriving is what counts.
    const streamed = async () => viewer.messages.map((message) => message.id);
    await eachOnce("the posts on the stream opened before them", streamed, ids, { once: false });
    await eachOnce("the posts in history", async () => (await views()).history, ids);
    await eachOnce("the posts found by search", async () => (await views()).search, ids);
    viewer.close();
    return { ids, views: await views(), consumerLog: logOf(consumer.name) };
  } finally {
    await web.stop();
    await consumer.stop();
  }
}
