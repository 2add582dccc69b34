import type { Logger } from "../../src/lib/log";

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLog };
