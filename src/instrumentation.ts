// Next calls register() once as its server starts, under the custom server and plain `next start` alike.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startUnderPlainNext } = await import("./server/plain-next");
  startUnderPlainNext();
}
