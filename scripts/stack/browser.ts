import { chromium, type Browser, type Page } from "playwright";

/** The system's Chromium; without these flags it keeps trying to reach Google's hosts. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", ...extraArgs],
  });
}

/** The board as a person sees it. */
export function board(page: Page) {
  return {
    status: page.getByRole("status"),
    name: page.getByLabel("Your name"),
    text: page.getByRole("textbox", { name: "Message", exact: true }),
    post: page.getByRole("button", { name: "Post" }),
    /** Stored messages, as they came back from the board. */
    messages: page.getByRole("log", { name: "Messages" }).locator("li[data-seq]"),
    message: (text: string) => page.getByRole("log", { name: "Messages" }).locator("li[data-seq]").filter({ hasText: text }),
    /** This window's messages on their way: sending, or failed with a Retry. */
    outgoing: (text: string) => page.getByRole("log", { name: "Messages" }).locator("li[data-outgoing]").filter({ hasText: text }),
    alerts: page.getByRole("alert"),
    /** Messages loaded from lasting history below the live list. */
    older: page.getByRole("list", { name: "Older messages" }).getByRole("listitem"),
    /** Scrolls to the end of the list, as a reader going back does, until the board's first message is shown. */
    async scrollBackToFirst() {
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await page.getByText("That is the first message of the board.").waitFor();
    },
    async open(url: string) {
      await page.goto(url);
      await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    },
    async send(text: string) {
      await page.getByRole("textbox", { name: "Message", exact: true }).fill(text);
      await page.getByRole("button", { name: "Post" }).click();
    },
  };
}
