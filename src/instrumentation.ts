export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { closeServicesOnSignals } = await import("./lib/web/services");
  closeServicesOnSignals();
}
