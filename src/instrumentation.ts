export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const [{ recordPeerAddresses }, { closeServicesOnSignals }] = await Promise.all([
    import("./lib/http/client-address"),
    import("./lib/web/services"),
  ]);
  recordPeerAddresses();
  closeServicesOnSignals();
}
