import { z } from "zod";
import { boardSlugSchema } from "./messages/schema";

const logLevelSchema = z.enum(["debug", "info", "warn", "error"]).default("info");
// Unset: readable in a terminal, JSON when the output goes to a file or a log shipper.
const logFormatSchema = z.enum(["json", "pretty"]).optional();

const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const name = (fallback: string) => z.string().trim().min(1).default(fallback);
const port = z.coerce.number().int().min(0).max(65_535);

/**
 * Every setting of every process, parsed from the environment once. The defaults are the local stack's,
 * so nothing needs to be set to run on one machine. `.env.local.example` documents each variable.
 */
export const configSchema = z.object({
  // 0: a free port chosen at start; the web app logs its address either way.
  PORT: port.default(3000),
  // Unset: every interface.
  WEB_HOST: z.string().trim().min(1).optional(),
  // Listening sockets of the web app on its port (SO_REUSEPORT), each taking one new connection per turn of the event loop.
  ACCEPT_HANDLES: count(16, 64),
  KAFKA_BROKERS: z
    .string()
    .default("127.0.0.1:9092")
    .transform((value) =>
      value
        .split(",")
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, "expected host:port")).min(1)),
  KAFKA_CLIENT_ID: name("message-board"),
  KAFKA_TOPIC: name("message-board"),
  KAFKA_TOPIC_PARTITIONS: count(3, 1000),
  KAFKA_DLQ_TOPIC: name("message-board.dlq"),
  // Where boards are created: one record per board, read by the store's consumer into the list of boards.
  KAFKA_BOARDS_TOPIC: name("message-board.boards"),
  // Copies of each partition, for topics this app creates; unset: the cluster's default.replication.factor.
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).optional(),
  KAFKA_CONSUMER_GROUP: name("message-board-store"),
  // Reactions given and taken back, keyed by message; what could not be read there; and the stream
  // processor's results, compacted: who gave what per message, and each board's recent activity.
  KAFKA_REACTIONS_TOPIC: name("message-board.reactions"),
  KAFKA_REACTIONS_DLQ_TOPIC: name("message-board.reactions.dlq"),
  KAFKA_REACTION_COUNTS_TOPIC: name("message-board.reaction-counts"),
  KAFKA_ACTIVITY_TOPIC: name("message-board.activity"),
  PROCESSOR_GROUP: name("message-board-processor"),
  // Reads the processor's results into Redis.
  RESULTS_CONSUMER_GROUP: name("message-board-results"),
  // How long the message topic keeps records, for topics this app creates; -1: forever, since the log is
  // the record every view is rebuilt from.
  KAFKA_RETENTION_MS: z.coerce.number().int().min(-1).default(-1),
  // Unset: no lasting history; the board keeps only its recent list in Redis.
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "expected a postgres:// URL" }).optional(),
  HISTORY_CONSUMER_GROUP: name("message-board-history"),
  // Reads the processor's reaction counts into history.
  HISTORY_RESULTS_GROUP: name("message-board-history-results"),
  // 0: a free port chosen at start (the consumer logs it); "off": no metrics server.
  CONSUMER_METRICS_PORT: z.union([z.literal("off"), port]).default(9464),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
  // The default board: at `/`, and where posts without a board go.
  BOARD_ID: boardSlugSchema.default("main"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
  REDIS_MESSAGES_KEY: name("messages"),
  REDIS_CHANNEL: name("new-messages"),
  MESSAGES_LIMIT: count(100, 10_000),
  MESSAGES_DEDUPE_WINDOW: count(10_000, 10_000_000),
  SSE_HEARTBEAT_MS: count(15_000, 300_000),
  LOG_LEVEL: logLevelSchema,
  LOG_FORMAT: logFormatSchema,
  POSTS_PER_MINUTE: count(30, 1_000_000),
  POST_BURST: count(10, 1_000_000),
  REACTIONS_PER_MINUTE: count(120, 1_000_000),
  REACTION_BURST: count(30, 1_000_000),
  BOARDS_PER_HOUR: count(20, 1_000_000),
  BOARD_BURST: count(3, 1_000_000),
  STREAMS_PER_CLIENT: count(20, 1_000_000),
  STREAMS_PER_PROCESS: count(10_000, 1_000_000),
  STREAM_BUFFER_BYTES: count(1024 * 1024, 1024 * 1024 * 1024),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url().transform((origin) => new URL(origin).origin))),
  // Accounts (with DATABASE_URL): the key that signs session cookies, at least 32 characters. Unset: no
  // accounts, and everyone posts as a guest.
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  // The site's administrators, by the e-mail address of their account, comma-separated.
  ADMIN_EMAILS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((email) => email.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.email())),
  // How long an author may edit a message after posting it.
  EDIT_WINDOW_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(900),
  // Sign-in attempts per minute, per address and per account.
  SIGN_INS_PER_MINUTE: count(10, 1_000_000),
  // Moderation requests (deletions, edits, bans, roles) per minute per account.
  MODERATION_PER_MINUTE: count(60, 1_000_000),
  // An OpenID Connect provider to sign in with, beside e-mail and password: its issuer (discovery at
  // <issuer>/.well-known/openid-configuration), the board's client there, and the name its button shows.
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_NAME: z.string().trim().min(1).max(40).default("single sign-on"),
});

export type Config = z.infer<typeof configSchema>;
type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function parseConfig(env: Env): Config {
  // An empty variable means "not set", as in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
}

/** For a process's entry: its configuration, or the reason on stderr and exit code 1. */
export function configOrExit(env: Env): Config {
  try {
    return parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
