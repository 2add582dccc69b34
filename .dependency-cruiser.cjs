// The layers, lowest first, and the one direction imports may go (`npm test` checks it):
//   lib/config, lib/log, lib/messages, lib/inspection, lib/safe-json    settings, logging, the message itself
//   lib/kafka, lib/store, lib/history, lib/metrics    the clients of Kafka, Redis and PostgreSQL; counters
//   lib/realtime                                      fan-out to viewers, SSE, catch-up
//   lib/board, lib/consumer                           posting and streams; Kafka -> Redis and PostgreSQL
//   lib/http                                          the API's transport and routes
//   server, scripts                                   the processes' entries: they build everything
//   app, components                                   pages (server) and the UI (browser)
// tests/unit/layers.test.ts makes each rule fire on an import it forbids.
const LIB = "^src/lib/";
const lib = (...folders) => `^src/lib/(${folders.join("|")})/`;
const BASE = "^src/lib/((config|log|inspection|safe-json)\\.ts$|messages/)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules that import each other cannot be understood or tested apart.",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-not-up",
      severity: "error",
      comment: "lib is given what it needs; it never reaches for an entry or a page.",
      from: { path: LIB },
      to: { path: "^src/(app|server|components)/" },
    },
    { name: "src-not-into-tools", severity: "error", from: { path: "^src/" }, to: { path: "^(scripts|tests)/" } },
    {
      name: "base-stays-base",
      severity: "error",
      comment: "Settings, logging and the message know nothing of the parts that use them.",
      from: { path: BASE },
      to: { path: lib("kafka", "store", "history", "metrics", "realtime", "board", "consumer", "http") },
    },
    {
      name: "clients-below-logic",
      severity: "error",
      from: { path: lib("kafka", "store", "history", "metrics") },
      to: { path: lib("realtime", "board", "consumer", "http") },
    },
    { name: "kafka-and-redis-apart", severity: "error", from: { path: lib("kafka") }, to: { path: lib("store", "history") } },
    { name: "redis-and-kafka-apart", severity: "error", from: { path: lib("store") }, to: { path: lib("kafka", "history") } },
    { name: "postgres-apart", severity: "error", from: { path: lib("history") }, to: { path: lib("kafka", "store", "metrics") } },
    {
      name: "realtime-below-board",
      severity: "error",
      from: { path: lib("realtime") },
      to: { path: lib("kafka", "history", "board", "consumer", "http") },
    },
    { name: "board-below-http", severity: "error", from: { path: lib("board") }, to: { path: lib("consumer", "http") } },
    {
      name: "consumer-apart",
      severity: "error",
      comment: "The consumer runs in its own process: no web code (but the pipeline-stage histogram both observe).",
      from: { path: lib("consumer") },
      to: { path: lib("realtime", "board", "http", "metrics"), pathNot: "^src/lib/metrics/pipeline-stages\\.ts$" },
    },
    {
      name: "server-not-into-pages",
      severity: "error",
      comment: "The web process serves the pages; it does not import them (Next bundles them apart).",
      from: { path: "^src/server/" },
      to: { path: "^src/(app|components)/" },
    },
    {
      name: "browser-code-stays-light",
      severity: "error",
      comment: "Components run in the browser: they import each other, the message, and the few pieces made for them.",
      from: { path: "^src/components/" },
      to: {
        pathNot:
          "^(src/components/|src/lib/messages/|src/lib/(inspection|safe-json|accounts/page-viewer)\\.ts$|src/lib/http/error-body\\.ts$)|(^|/)node_modules/",
      },
    },
    { name: "not-to-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.next|\\.local)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
