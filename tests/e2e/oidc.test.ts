// Sign-in with OpenID Connect against a real provider on this machine (oidc-provider, with its own login
// and consent pages): the browser goes there and back, the account is made, and its posts are verified.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, test } from "node:test";
import Provider from "oidc-provider";
import { historySchema } from "../../src/lib/messages/schema";
import { board, launchBrowser } from "../../scripts/stack/browser";
import { onFreePorts } from "../../scripts/stack/wait";
import { freshDatabase } from "../support/postgres";
import { cleanupList, startApps } from "../support/stack";

const cleanup = cleanupList();
after(() => cleanup.run());

/** A provider on a free port that knows the board as a client, and anyone who signs in as "<login>". */
async function startProvider(redirect: (issuer: string) => string) {
  return onFreePorts(1, async ([port]) => {
    const issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: "board", client_secret: "a client secret of the board", redirect_uris: [redirect(issuer)] }],
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
      findAccount: (_context, sub) => ({
        accountId: sub,
        claims: () => ({ sub, email: `${sub}@provider.example`, email_verified: true, name: sub.charAt(0).toUpperCase() + sub.slice(1) }),
      }),
      features: { devInteractions: { enabled: true } },
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = provider.listen(port, () => resolve(listening));
      listening.once("error", reject);
    });
    return { issuer, server };
  });
}

test("sign-in with OpenID Connect: to the provider and back, the account made and signed in, its posts verified", async () => {
  const databaseUrl = await freshDatabase("oidc");
  // The board's address is known only once it runs, and the provider must be up before it: the callback is
  // registered for every port on 127.0.0.1 by starting the provider with the board's port chosen first.
  const boardPort = await onFreePorts(1, async ([port]) => port!);
  const { issuer, server } = await startProvider(() => `http://127.0.0.1:${boardPort}/api/auth/callback/oidc`);
  cleanup.add(server, (listening) => new Promise<void>((resolve) => listening.close(() => resolve())));
  const { web } = await startApps(cleanup, "oidc", {
    DATABASE_URL: databaseUrl,
    PORT: String(boardPort),
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: "board",
    OIDC_CLIENT_SECRET: "a client secret of the board",
    OIDC_NAME: "the test provider",
  });
  const url = web[0]!.url;

  const browser = cleanup.add(await launchBrowser(), (opened) => opened.close());
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${url}/account`);
  await page.getByRole("button", { name: "Sign in with the test provider" }).click();
  // The provider's own pages: any login, then consent.
  await Promise.race([
    page.waitForURL(`${issuer}/**`),
    page
      .getByRole("alert")
      .filter({ hasText: /\S/ })
      .textContent()
      .then((text) => assert.fail(`the account page said: ${text}`)),
  ]);
  await page.locator('input[name="login"]').fill("quinn");
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${url}/`);

  await board(page).open(url);
  await page.getByText("Posting as Quinn").waitFor();
  await board(page).send("signed in elsewhere");
  await board(page).message("signed in elsewhere").getByText("verified account").waitFor();
  const stored = historySchema.parse(await (await fetch(`${url}/api/messages`)).json()).messages[0];
  assert.equal(stored?.account?.name, "Quinn");
  assert.equal(stored?.author, "Quinn");
});
