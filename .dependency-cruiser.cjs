// The layers, lowest first, and the one direction imports may go (`npm test` checks it):
//   lib/config, lib/log, lib/messages, lib/inspection    settings, logging, the message itself
//   lib/kafka, lib/store, lib/metrics                    the clients of Kafka and Redis; counters
//   lib/realtime                                         fan-out to viewers, SSE, catch-up
//   lib/board, lib/consumer                              posting and streams; Kafka -> Redis
//   lib/http                                             the API's transport and routes
//   server, scripts                                      the processes' entries: they build everything
//   app, components                                      pages (server) and the UI (browser)
const LIB = "^src/lib/";
const lib = (...folders) => `^src/lib/(${folders.join("|")})/`;

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
      from: { path: "^src/lib/((config|log|inspection)\\.ts$|messages/)" },
      to: { path: lib("kafka", "store", "metrics", "realtime", "board", "consumer", "http") },
    },
    {
      name: "clients-below-logic",
      severity: "error",
      from: { path: lib("kafka", "store", "metrics") },
      to: { path: lib("realtime", "board", "consumer", "http") },
    },
    { name: "kafka-and-redis-apart", severity: "error", from: { path: lib("kafka") }, to: { path: lib("store") } },
    { name: "redis-and-kafka-apart", severity: "error", from: { path: lib("store") }, to: { path: lib("kafka") } },
    { name: "realtime-below-board", severity: "error", from: { path: lib("realtime") }, to: { path: lib("kafka", "board", "consumer", "http") } },
    { name: "board-below-http", severity: "error", from: { path: lib("board") }, to: { path: lib("consumer", "http") } },
    {
      name: "consumer-apart",
      severity: "error",
      comment: "The consumer runs in its own process: no web code (but the pipeline-stage histogram both observe).",
      from: { path: lib("consumer") },
      to: { path: lib("realtime", "board", "http", "metrics"), pathNot: "^src/lib/metrics/pipeline-stages\\.ts$" },
    },
    {
      name: "browser-code-stays-light",
      severity: "error",
      comment: "Components run in the browser: the message, the error body and the inspection schema only.",
      from: { path: "^src/components/" },
      to: { path: "^src/(server/|lib/(kafka|store|metrics|realtime|board|consumer)/|lib/http/(?!error-body))" },
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
