// People on the board: accounts (Better Auth on the board's PostgreSQL), signed-in authors, owners and
// administrators, and edits and deletions as records on the log that every view applies, rebuilds included.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { z } from "zod";
import { archivedMessageSchema, historySchema, messageSchema, olderPageSchema, searchResultsSchema } from "../../src/lib/messages/schema";
import { decodeRecord } from "../../src/lib/kafka/record";
import { freshDatabase } from "../support/postgres";
import { watchBoard } from "../support/sse-viewer";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { cleanupList, logOf, readTopic, startApps, startRebuild, testKafka, waitFor } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

/** Signs up through the library's own route, as the account page does; resolves to the session cookie. */
async function signUp(url: string, name: string, email: string, password = "correct horse battery"): Promise<string> {
  const response = await fetch(`${url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: url },
    body: JSON.stringify({ name, email, password }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const cookie = response.headers.getSetCookie().find((each) => each.startsWith("board.session_token="));
  assert.ok(cookie, `a session cookie among ${JSON.stringify(response.headers.getSetCookie())}`);
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Lax/i);
  return cookie.split(";")[0]!;
}

/** A request as a page of the board would make it, as a signed-in person (`cookie`) or a guest. */
function send(url: string, path: string, method: string, cookie?: string, body?: unknown) {
  return fetch(`${url}${path}`, {
    method,
    headers: { Origin: url, ...(cookie && { cookie }), ...(body !== undefined && { "Content-Type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

const errorCode = async (response: Response) => z.object({ error: z.object({ code: z.string() }) }).parse(await response.json()).error.code;

test("accounts: signed-in posts are verified; only the author, the board's owner or an administrator deletes; the author edits; every view and rebuild agrees", async (t) => {
  const databaseUrl = await freshDatabase("people");
  const { web, env } = await startApps(cleanup, "people", { DATABASE_URL: databaseUrl, ADMIN_EMAILS: "root@example.com" });
  const url = web[0]!.url;
  const ada = await signUp(url, "Ada", "ada@example.com");
  const bob = await signUp(url, "Bob", "bob@example.com");
  const root = await signUp(url, "Root", "ROOT@example.com");
  assert.equal(
    (await send(url, "/api/auth/sign-up/email", "POST", undefined, { name: "ada", email: "other@example.com", password: "x".repeat(12) })).status,
    400,
    "a name is one account's",
  );

  // Bob's board: he created it, so he owns it.
  assert.equal((await send(url, "/api/boards", "POST", bob, { name: "Bob's board", slug: "bobs" })).status, 201);
  const post = async (cookie: string | undefined, body: unknown) => send(url, "/api/messages", "POST", cookie, { board: "bobs", ...(body as object) });
  const adas = messageSchema.parse(await (await post(ada, { text: "first draft", author: "Not Ada" })).json());
  assert.equal(adas.author, "Ada");
  assert.equal(adas.account?.name, "Ada");
  const impostor = await post(undefined, { text: "I am Ada", author: "ADA" });
  assert.equal(impostor.status, 409);
  assert.equal(await errorCode(impostor), "name_taken");
  const spam = messageSchema.parse(await (await post(undefined, { text: "buy cheap spam now", author: "Mallory" })).json());
  assert.equal(spam.account, undefined);
  const kept = messageSchema.parse(await (await post(undefined, { text: "an ordinary message", author: "Carol" })).json());

  const viewer = cleanup.add(watchBoard([url], { board: "bobs", after: "start" }), (opened) => opened.close());
  await waitFor("the three posts on the stream", () => viewer.messages.length === 3);
  const live = async () => historySchema.parse(await (await fetch(`${url}/api/messages?board=bobs`)).json()).messages;
  assert.ok((await live()).find((message) => message.id === adas.id)?.account, "the stored message says who wrote it");

  // Who may delete: not a guest (401), nor an ended or forged session (401), nor another plain account (403).
  assert.equal((await send(url, `/api/messages/${spam.id}`, "DELETE")).status, 401);
  const forged = await send(url, `/api/messages/${spam.id}`, "DELETE", "board.session_token=made-up.signature");
  assert.equal(forged.status, 401);
  assert.match(forged.headers.get("set-cookie") ?? "", /board\.session_token=;.*Max-Age=0/, "the browser forgets the ended session");
  assert.equal((await send(url, `/api/messages/${spam.id}`, "DELETE", ada)).status, 403);
  const crossSite = await fetch(`${url}/api/messages/${spam.id}`, { method: "DELETE", headers: { cookie: bob, Origin: "https://evil.example" } });
  assert.equal(crossSite.status, 403);
  assert.equal(await errorCode(crossSite), "cross_origin");
  assert.equal((await live()).length, 3, "refusals changed nothing");

  // The board's owner deletes the spam: gone from the live list, the stream, history, search and /m/<id>.
  const deleted = performance.now();
  assert.equal((await send(url, `/api/messages/${spam.id}`, "DELETE", bob)).status, 204);
  await waitFor("the deletion on the stream", () => viewer.changes.some((change) => change.kind === "delete" && change.target === spam.id), {
    timeoutMs: 1000,
  });
  const streamMs = performance.now() - deleted;
  await waitFor("the spam gone from the live list", async () => !(await live()).some((message) => message.id === spam.id), { timeoutMs: 1000 });
  const history = async () => olderPageSchema.parse(await (await fetch(`${url}/api/history?board=bobs`)).json()).messages;
  const search = async (q: string) => searchResultsSchema.parse(await (await fetch(`${url}/api/search?${new URLSearchParams({ q })}`)).json()).results;
  await waitFor("the spam gone from history", async () => !(await history()).some((message) => message.id === spam.id));
  assert.deepEqual(await search("spam"), []);
  assert.equal((await fetch(`${url}/api/history/message?id=${spam.id}`)).status, 404);
  assert.equal((await fetch(`${url}/m/${spam.id}`)).status, 404);
  assert.equal((await send(url, `/api/messages/${spam.id}`, "DELETE", bob)).status, 404, "already deleted");
  assert.equal((await send(url, `/api/messages/${spam.id}/reactions/${encodeURIComponent("👍")}`, "PUT")).status, 404, "no reactions to it");

  // The author edits within the window; others may not. Every view shows the new text, marked edited.
  assert.equal((await send(url, `/api/messages/${adas.id}`, "PATCH", bob, { text: "Bob was here" })).status, 403);
  const edit = await send(url, `/api/messages/${adas.id}`, "PATCH", ada, { text: "final text" });
  assert.equal(edit.status, 200);
  const edited = messageSchema.parse(await edit.json());
  assert.equal(edited.text, "final text");
  assert.ok(edited.editedAt);
  await waitFor("the edit on the stream", () => viewer.changes.some((change) => change.kind === "edit" && change.target === adas.id));
  await waitFor("the edit in the live list", async () => (await live()).find((message) => message.id === adas.id)?.text === "final text");
  await waitFor("the edit in history and search", async () => (await search("final")).some((hit) => hit.message.id === adas.id));
  assert.deepEqual(await search("draft"), [], "the old text is not found");
  const archived = archivedMessageSchema.parse(await (await fetch(`${url}/api/history/message?id=${adas.id}`)).json());
  assert.equal(archived.text, "final text");
  assert.equal(archived.editedAt, edited.editedAt);
  assert.equal(archived.account?.name, "Ada");

  // An administrator deletes anywhere; the author deletes their own.
  assert.equal((await send(url, `/api/messages/${kept.id}`, "DELETE", root)).status, 204);
  await waitFor("the administrator's deletion applied", async () => (await live()).length === 1);

  // Every change is a record on the message topic, after the message it changes.
  const records = await readTopic(env.KAFKA_TOPIC!, 6);
  const kinds = records.map((record) => {
    const decoded = decodeRecord(record.value);
    return decoded.ok ? (decoded.change?.kind ?? "message") : decoded.reason;
  });
  assert.deepEqual(kinds, ["message", "message", "message", "delete", "edit", "delete"]);

  // Rebuilt from the log, both views agree: the deletions stay, the edit stays.
  const expected = [{ id: adas.id, text: "final text", editedAt: edited.editedAt }];
  const shape = (messages: { id: string; text: string; editedAt?: string }[]) => messages.map(({ id, text, editedAt }) => ({ id, text, editedAt }));
  await startRebuild(cleanup, "redis", env).done();
  await waitFor("the live list rebuilt", async () => JSON.stringify(shape(await live())) === JSON.stringify(expected));
  await startRebuild(cleanup, "postgres", env).done();
  await waitFor("history rebuilt", async () => JSON.stringify(shape(await history())) === JSON.stringify(expected), { timeoutMs: 30_000 });
  assert.deepEqual(await search("spam"), []);

  // Rules through the boards topic: the owner names a moderator, who locks the board; then a guest is banned by their message.
  const guestPost = () => post(undefined, { text: "a guest again", author: "Dave" });
  assert.equal(
    (await send(url, "/api/boards/bobs/moderators/" + encodeURIComponent(adas.account.id), "PUT", ada)).status,
    403,
    "only the owner names moderators",
  );
  assert.equal((await send(url, "/api/boards/bobs/moderators/" + encodeURIComponent(adas.account.id), "PUT", bob)).status, 204);
  await waitFor("Ada a moderator", async () => (await send(url, "/api/boards/bobs", "PATCH", ada, { locked: true })).status === 204);
  await waitFor("the board locked for guests", async () => (await guestPost()).status === 403);
  assert.equal(await errorCode(await guestPost()), "board_locked");
  assert.equal((await post(ada, { text: "moderators still post" })).status, 201);
  assert.equal((await send(url, "/api/boards/bobs", "PATCH", bob, { locked: false })).status, 204);
  const daves = messageSchema.parse(
    await (
      await waitFor("the board open again", async () => {
        const answer = await guestPost();
        return answer.status === 201 && answer;
      })
    ).json(),
  );
  const ban = await send(url, "/api/boards/bobs/bans", "POST", ada, { message: daves.id, minutes: 60 });
  assert.equal(ban.status, 201);
  assert.match(z.object({ subject: z.string() }).parse(await ban.json()).subject, /^address:[\w-]{22}$/, "an address is banned by its digest, never named");
  await waitFor("the guest's address banned", async () => (await guestPost()).status === 403);
  assert.equal(await errorCode(await guestPost()), "banned");
  assert.equal((await post(bob, { text: "accounts from that address are not guests" })).status, 201);

  // Signing out everywhere ends every session of the account: within a few seconds, on every instance.
  assert.equal((await send(url, "/api/auth/revoke-sessions", "POST", root, {})).status, 200);
  await waitFor("Root's session ended", async () => (await send(url, "/api/messages", "POST", root, { text: "still me?" })).status === 401, {
    timeoutMs: 10_000,
  });
  viewer.close();
  t.diagnostic(`deletion reached the stream ${streamMs.toFixed(0)} ms after the request was sent`);
});

async function violations(page: Page): Promise<string[]> {
  const { violations: found } = await new AxeBuilder({ page }).analyze();
  return found.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`);
}

test("three windows (two accounts and a guest): the owner deletes by keyboard and the message leaves all three within a second; the author's edit shows everywhere, marked edited", async (t) => {
  const databaseUrl = await freshDatabase("people_browser");
  const { web } = await startApps(cleanup, "people-browser", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const ada = await signUp(url, "Ada", "ada@example.com");
  await signUp(url, "Bob", "bob@example.com");

  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const windowFor = async (cookie?: string) => {
    const context = await browser.newContext();
    if (cookie) {
      const [name, value] = cookie.split("=") as [string, string];
      await context.addCookies([{ name, value, url }]);
    }
    return context.newPage();
  };
  // Bob signs in on the account page, as a person would, and creates his board there.
  const bobs = await windowFor();
  await bobs.goto(`${url}/account`);
  assert.deepEqual(await violations(bobs), [], "the account page, signed out");
  const signIn = bobs.getByRole("form", { name: "Sign in" });
  await signIn.getByLabel("E-mail address").fill("bob@example.com");
  await signIn.getByLabel("Password").fill("wrong password!");
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await bobs
    .getByRole("alert")
    .filter({ hasText: /invalid/i })
    .waitFor();
  assert.deepEqual(await violations(bobs), [], "the account page with a refusal");
  await signIn.getByLabel("Password").fill("correct horse battery");
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await bobs.waitForURL(`${url}/`);
  assert.equal((await bobs.request.post(`${url}/api/boards`, { data: { name: "Bob's board", slug: "bobs" }, headers: { Origin: url } })).status(), 201);

  const adas = await windowFor(ada);
  const guests = await windowFor();
  const windows = [bobs, adas, guests];
  await Promise.all(windows.map((page) => board(page).open(`${url}/b/bobs`)));
  await adas.getByText("Posting as Ada").waitFor();
  await board(adas).send("Ada's first draft");
  await board(guests).name.fill("Mallory");
  await board(guests).send("buy cheap spam now");
  for (const page of windows) {
    await board(page).message("Ada's first draft").getByText("verified account").waitFor();
    await board(page).message("buy cheap spam now").waitFor();
  }
  assert.equal(await board(guests).message("buy cheap spam now").getByRole("button", { name: "Delete" }).count(), 0, "a guest has no delete");
  assert.equal(await board(adas).message("buy cheap spam now").getByRole("button", { name: "Delete" }).count(), 0, "nor has a plain account");
  assert.equal(await board(bobs).message("Ada's first draft").getByRole("button", { name: "Edit" }).count(), 0, "the owner does not edit others' words");

  // The owner deletes by keyboard: focus, Enter, then Enter on the confirmation that takes the focus.
  await board(bobs).message("buy cheap spam now").getByRole("button", { name: "Delete" }).focus();
  await bobs.keyboard.press("Enter");
  assert.deepEqual(await violations(bobs), [], "the board with a deletion being confirmed");
  const clicked = performance.now();
  await bobs.keyboard.press("Enter");
  const gone = await Promise.all(
    windows.map(async (page) => {
      await board(page).message("buy cheap spam now").waitFor({ state: "detached", timeout: 5000 });
      return performance.now() - clicked;
    }),
  );
  t.diagnostic(`the deleted message left the three windows ${gone.map((ms) => ms.toFixed(0)).join(", ")} ms after the click`);
  assert.ok(Math.max(...gone) < 1000, `gone from every window within a second (${gone.join(", ")})`);

  // The author edits by keyboard too; every window shows the new text, marked edited.
  await board(adas).message("Ada's first draft").getByRole("button", { name: "Edit" }).click();
  const editor = adas.getByRole("textbox", { name: "Edit the message" });
  await editor.fill("Ada's final words");
  await adas.getByRole("button", { name: "Save" }).press("Enter");
  for (const page of windows) await board(page).message("Ada's final words").getByText("(edited)").waitFor({ timeout: 2000 });
  assert.equal(await board(guests).message("Ada's first draft").count(), 0);
  assert.deepEqual(await violations(adas), [], "the board with an edited message and the author's actions");

  // A reload shows the same: the store applied both.
  await guests.reload();
  await board(guests).message("Ada's final words").getByText("(edited)").waitFor();
  assert.equal(await board(guests).message("buy cheap spam now").count(), 0);

  // The owner bans Ada for a day: her next post is refused, and the page says why.
  await board(bobs).message("Ada's final words").getByRole("button", { name: "Ban author for a day" }).click();
  await bobs.getByRole("status").filter({ hasText: "may not post here for a day" }).waitFor();
  await waitFor("the ban applied", async () => (await send(url, "/api/messages", "POST", ada, { board: "bobs", text: "probe" })).status === 403);
  await board(adas).send("am I still here?");
  // The form's button fades in again once the refused text is back: checked once it has.
  await waitFor("the Post button shown in full", async () => (await board(adas).post.evaluate((button) => getComputedStyle(button).opacity)) === "1");
  await adas.getByRole("alert").filter({ hasText: "You have been banned from posting to this board until" }).waitFor();
  assert.deepEqual(await violations(adas), [], "the board with a refusal shown");
});

test("fuzz over the new routes: hostile ids, bodies and paths, as an owner, a plain account and a guest; every answer a JSON 4xx, nothing changed", async (t) => {
  const databaseUrl = await freshDatabase("people_fuzz");
  const { web, env } = await startApps(cleanup, "people-fuzz", { DATABASE_URL: databaseUrl });
  const url = web[0]!.url;
  const owner = await signUp(url, "Olive", "olive@example.com");
  const plain = await signUp(url, "Pat", "pat@example.com");
  assert.equal((await send(url, "/api/boards", "POST", owner, { name: "Fuzzed", slug: "fuzzed" })).status, 201);
  const mine = messageSchema.parse(await (await send(url, "/api/messages", "POST", owner, { board: "fuzzed", text: "leave me be" })).json());
  await waitFor("the post stored", async () => historySchema.parse(await (await fetch(`${url}/api/messages?board=fuzzed`)).json()).messages.length === 1);
  const ends = async () => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      return JSON.stringify(await Promise.all([env.KAFKA_TOPIC!, env.KAFKA_BOARDS_TOPIC!].map((topic) => admin.fetchTopicOffsets(topic))));
    } finally {
      await admin.disconnect();
    }
  };
  const before = await ends();

  let seed = 20261206;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // Each is refused wherever it goes: none is a valid text, flag or number of minutes.
  const hostileStrings = ["", " ", "\u0000", "a\u0007b", "\u202e", "\ud800", "x".repeat(1001), "é".repeat(5000)];
  const values: unknown[] = [null, 0, -1, 1e308, [], {}, ...hostileStrings];
  const ids = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%E0%A4%A", encodeURIComponent("\u0000"), "x".repeat(300), crypto.randomUUID()];
  const slugs = ["fuzzed", "nope", "UPPER", "-x-", "a".repeat(60), "%2e%2e"];
  const bodies = [
    () => JSON.stringify(pick(values)),
    () => JSON.stringify({ text: pick(values) }),
    () => JSON.stringify({ text: "fine", extra: true }),
    () => JSON.stringify({ locked: pick(values), guests: pick(values) }),
    () => JSON.stringify({ message: pick([...ids, mine.id]), account: pick(values), minutes: pick([0, -5, 1e9, "60", 1.5]) }),
    () => JSON.stringify({ minutes: 60 }),
    () => `{"__proto__":{"locked":true}}`,
    () => "[".repeat(3000),
    () => `{"text":"${"z".repeat(20_000)}"}`,
    () => "not json",
  ];
  const requests = [
    () => ({ method: "DELETE", path: `/api/messages/${pick(ids)}` }),
    () => ({ method: "PATCH", path: `/api/messages/${pick([...ids, mine.id])}` }),
    () => ({ method: "PATCH", path: `/api/boards/${pick(slugs)}` }),
    () => ({ method: pick(["PUT", "DELETE"]), path: `/api/boards/${pick(slugs)}/moderators/${pick(ids)}` }),
    () => ({ method: "POST", path: `/api/boards/${pick(slugs)}/bans` }),
    () => ({ method: "DELETE", path: `/api/boards/${pick(slugs)}/bans/${pick(["account:", "address:x y", "nobody", "account:" + "x".repeat(80)])}` }),
    () => ({ method: "POST", path: `/api/auth/${pick(["sign-up/email", "sign-in/email"])}` }),
  ];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 400; i++) {
    const { method, path } = pick(requests)();
    const as = pick([owner, plain, undefined, "board.session_token=forged"]);
    const contentType = pick(["application/json", "application/json", "text/plain"]);
    const body = method === "DELETE" ? undefined : pick(bodies)();
    const origin = pick([url, url, "https://evil.example"]);
    const response = await fetch(`${url}${path}`, { method, headers: { Origin: origin, "Content-Type": contentType, ...(as && { cookie: as }) }, body });
    const text = await response.text();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const where = `case ${i}: ${method} ${path} as ${as ? as.slice(0, 24) : "a guest"} ${String(body).slice(0, 60)}`;
    assert.ok(response.status >= 400 && response.status < 500, `${where} answered ${response.status}: ${text.slice(0, 200)}`);
    assert.doesNotThrow(() => JSON.parse(text), `${where}: not JSON: ${text.slice(0, 200)}`);
  }
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  assert.ok(
    [400, 401, 403, 404].every((status) => statuses.has(status)),
    "every kind of refusal was exercised",
  );
  assert.equal(await ends(), before, "nothing reached Kafka");
  assert.equal(historySchema.parse(await (await fetch(`${url}/api/messages?board=fuzzed`)).json()).messages[0]?.text, "leave me be");
  assert.equal((await send(url, "/api/messages", "POST", owner, { board: "fuzzed", text: "still serving" })).status, 201);
});

test("sign-in attempts are limited per account and per address; session cookies are Secure over HTTPS; nothing about accounts in the logs", async () => {
  const databaseUrl = await freshDatabase("people_limits");
  // Behind one trusted proxy, so that the test can come from many addresses.
  const { web } = await startApps(cleanup, "people-limits", { DATABASE_URL: databaseUrl, SIGN_INS_PER_MINUTE: "3", TRUSTED_PROXY_HOPS: "1" }, 1);
  const url = web[0]!.url;
  const from = (address: string, headers: Record<string, string> = {}) => ({
    "Content-Type": "application/json",
    Origin: url,
    "X-Forwarded-For": address,
    ...headers,
  });

  // Over HTTPS (as the proxy says), the session cookie is Secure and __Secure- prefixed.
  const https = await fetch(`${url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: from("192.0.2.100", { Origin: url.replace("http:", "https:"), "X-Forwarded-Proto": "https" }),
    body: JSON.stringify({ name: "Tess", email: "tess@example.com", password: "correct horse battery" }),
  });
  const cookies = https.headers.getSetCookie();
  assert.ok(
    cookies.some((cookie) => /^__Secure-board\.session_token=.*; Secure/i.test(cookie)),
    `a Secure cookie over HTTPS: ${JSON.stringify(cookies.map((cookie) => cookie.split("=")[0]))} (${https.status})`,
  );

  const signIn = (email: string, address: string) =>
    fetch(`${url}/api/auth/sign-in/email`, { method: "POST", headers: from(address), body: JSON.stringify({ email, password: "not the password" }) }).then(
      (response) => response.status,
    );
  // One account, tried from ever new addresses: refused once the account's allowance is spent.
  const account = [];
  for (let i = 1; i <= 4; i++) account.push(await signIn("victim@example.com", `192.0.2.${i}`));
  assert.deepEqual(account, [401, 401, 401, 429], "the account's attempts are limited");
  // Ever new accounts from one address: refused once the address's allowance is spent.
  const address = [];
  for (let i = 1; i <= 4; i++) address.push(await signIn(`someone-${i}@example.com`, "198.51.100.50"));
  assert.deepEqual(address, [401, 401, 401, 429], "the address's attempts are limited");

  const log = logOf("people-limits-web-1");
  for (const secret of ["victim@example.com", "tess@example.com", "correct horse battery", "not the password"])
    assert.ok(!log.includes(secret), `${secret} is not in the log`);
});
