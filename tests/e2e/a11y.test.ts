// Accessibility: the board (with its list of boards and the new-board form), search, a message in its board and the inspector, checked by axe in the real
// browser, with content on them (messages, results, partitions).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright";
import { range } from "../support/audit";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { client, freshDatabase, historyOf } from "../support/postgres";
import { cleanupList, postAccepted, startApps } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

async function violations(page: Page): Promise<string[]> {
  const { violations: found } = await new AxeBuilder({ page }).analyze();
  return found.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`);
}

test("the board, search, a message in its board and the inspector have no axe violations", async () => {
  const databaseUrl = await freshDatabase("a11y");
  const { web } = await startApps(cleanup, "a11y", { DATABASE_URL: databaseUrl, MESSAGES_LIMIT: "20" });
  const url = web[0]!.url;
  const ids: string[] = [];
  for (const i of range(30)) ids.push(await postAccepted(url, `accessible message ${i} about kafka`));
  await historyOf(client(cleanup, databaseUrl), ids.length);

  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await (await browser.newContext()).newPage();
  const view = board(page);
  await view.open(url);
  await view.message("accessible message 29").waitFor();
  // Reaching the end of the list loads the older messages below it, as a reader scrolling back sees them.
  await view.scrollBackToFirst();
  assert.equal(await view.older.count(), 10);
  // The form for a new board open, with a refusal shown beside its field.
  await page.getByText("New board").click();
  await page.getByLabel("Name", { exact: true }).fill("main");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("slug is taken").waitFor();
  assert.deepEqual(await violations(page), [], "the board");

  await page.goto(`${url}/search`);
  await page.getByLabel("Search messages").fill("kaf");
  await page.locator("mark").first().waitFor();
  assert.deepEqual(await violations(page), [], "search with results");

  await page.goto(`${url}/m/${ids[5]}`);
  await page.locator('[aria-current="true"]').waitFor();
  assert.deepEqual(await violations(page), [], "a message in its board");

  await page.goto(`${url}/inspect`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.getByText("message-board", { exact: false }).first().waitFor();
  assert.deepEqual(await violations(page), [], "the inspector");
});
