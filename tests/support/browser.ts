import { chromium, type Browser, type Page } from "playwright";

/** The system's Chromium; without these flags it keeps trying to reach Google's hosts. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** The board as a person sees it. */
export function board(page: Page) {
  return {
    status: page.getByRole("status"),
    name: page.getByLabel("Your name"),
    text: page.getByRole("textbox", { name: "Message", exact: true }),
    post: page.getByRole("button", { name: "Post" }),
    messages: page.getByRole("log", { name: "Messages" }).getByRole("listitem"),
    message: (text: string) => page.getByRole("log", { name: "Messages" }).getByRole("listitem").filter({ hasText: text }),
    alerts: page.getByRole("alert"),
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
