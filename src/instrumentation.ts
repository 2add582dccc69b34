export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const [{ getConfig }, { openFrontDoor }, { closeServicesOnSignals, connectProducer }] = await Promise.all([
    import("./lib/config"),
    import("./lib/web/front-door"),
    import("./lib/web/services"),
  ]);
  // Development keeps Next's route handlers, which reload as their code changes.
  openFrontDoor({ hotRoutes: process.env.NODE_ENV === "production" && getConfig().FRONT_DOOR === "on" });
  closeServicesOnSignals();
  connectProducer();
}
