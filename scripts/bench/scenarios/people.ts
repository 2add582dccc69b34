import { closedLoop, figure, openViewer, quantile, warmUpViewers } from "../measure";
import { waitFor } from "../../stack/wait";
import { results, repeat, round, row, rows } from "../report";
import type { BenchContext } from "../context";
import { freshDatabase } from "../history";

/**
 * Accounts' cost and moderation's speed: posts as a signed-in account (each checks its session in
 * PostgreSQL) beside anonymous posts, on one web process; then a deletion's time from the DELETE's start
 * to the last of `reactionViewers` viewers hearing of it.
 */
export async function people(ctx: BenchContext): Promise<void> {
  const { fresh, web, consumerProcess, stop, say, size, stack } = ctx;
  say("Accounts and moderation…");
  const board = await fresh();
  const database = await freshDatabase(stack.databaseUrl, `bench_people_${process.pid}`);
  const env = { ...board.env, DATABASE_URL: database, AUTH_SECRET: "bench-secret-of-the-board-0123456789abcdef", MODERATION_PER_MINUTE: "1000000" };
  const consumer = await consumerProcess(env, "people-consumer");
  const server = await web(env, "people-web");
  const signUp = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: server.url },
    body: JSON.stringify({ name: "Bench", email: "bench@example.com", password: "correct horse battery" }),
  });
  const cookie = signUp.headers.getSetCookie()[0]?.split(";")[0];
  if (signUp.status !== 200 || !cookie) throw new Error(`signing up answered ${signUp.status}`);

  const clients = size.concurrency[Math.floor(size.concurrency.length / 2)]!;
  const measure = async (as?: string) => {
    await closedLoop(server.url, clients, Math.min(500, size.ingestMs), [], as);
    const runs = await repeat(size.runs, () => closedLoop(server.url, clients, size.ingestMs, [], as));
    return { perSecond: figure(runs.map((r) => r.perSecond)), p50: figure(runs.map((r) => r.p50)), p99: figure(runs.map((r) => r.p99)) };
  };
  const anonymous = await measure();
  const signedIn = await measure(cookie);
  row(`signed-in posts, ${clients} clients, against anonymous`, signedIn.perSecond, anonymous.perSecond, "msg/s");
  row(`  POST latency p50, signed in against anonymous`, signedIn.p50, anonymous.p50, "ms", true);

  // Deletions: each of the author's posts, once every viewer has it, deleted; timed to the last viewer.
  const viewers = size.reactionViewers;
  const heard = new Map<string, number[]>();
  const onData = (chunk: string) => {
    for (const match of chunk.matchAll(/"target":"([0-9a-f-]{36})"/g)) heard.get(match[1]!)?.push(performance.now());
  };
  await warmUpViewers(server.url, openViewer);
  const open = [];
  for (let i = 0; i < viewers; i += 200)
    open.push(...(await Promise.all(Array.from({ length: Math.min(200, viewers - i) }, () => openViewer(server.url, onData)))));
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let b = 0; b < size.broadcasts * 2; b++) {
    const posted = await fetch(`${server.url}/api/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", cookie },
      body: `{"text":"delete me ${b}"}`,
    });
    const { id } = (await posted.json()) as { id: string };
    await waitFor("the post stored", async () => ((await (await fetch(`${server.url}/api/messages?limit=5`)).text()).includes(id) ? true : false), {
      intervalMs: 20,
    });
    heard.set(id, []);
    const sent = performance.now();
    const deleted = await fetch(`${server.url}/api/messages/${id}`, { method: "DELETE", headers: { cookie } });
    if (deleted.status !== 204) throw new Error(`the deletion answered ${deleted.status}`);
    await waitFor(`the deletion to reach ${viewers}`, () => heard.get(id)!.length >= viewers, { timeoutMs: 60_000, intervalMs: 10 });
    const times = heard.get(id)!.map((at) => at - sent);
    p50s.push(quantile(times, 0.5));
    p99s.push(quantile(times, 0.99));
  }
  for (const viewer of open) viewer.destroy();
  await stop(server, consumer);
  const deletion = { viewers, p50: figure(p50s), p99: figure(p99s) };
  row(`deletion to every window p99, ${viewers.toLocaleString("en")} viewers`, deletion.p99, undefined, "ms", true);
  rows.push([`  p50`, `${round(deletion.p50.median)} ms`, "", ""]);
  results.people = { clients, anonymous, signedIn, deletion };
}
