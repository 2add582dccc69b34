import { randomUUID } from "node:crypto";
import type { Admin } from "kafkajs";
import { boardArchive, type Archive } from "../lib/board/archive";
import { createBoards, type Boards } from "../lib/board/boards";
import { boardHistory, type BoardHistory } from "../lib/board/history";
import { createDatabase } from "../lib/history/database";
import { createPosting } from "../lib/board/posting";
import { createStreams } from "../lib/board/streams";
import type { Config } from "../lib/config";
import { apiRouter } from "../lib/http/routes";
import { createKafka } from "../lib/kafka/client";
import { describeCluster, groupMembers, underReplicatedPartitions } from "../lib/kafka/cluster-view";
import { MessageProducer } from "../lib/kafka/producer";
import { encodeBoardRecord, encodeReactionRecord } from "../lib/kafka/record";
import { TopicTail } from "../lib/kafka/topic-tail";
import { errorFields, type Logger } from "../lib/log";
import { PipelineWindow } from "../lib/metrics/pipeline-window";
import { createWebMetrics } from "../lib/metrics/web-metrics";
import { BoardHub } from "../lib/realtime/board-hub";
import { StreamGate } from "../lib/realtime/stream-gate";
import { storeKeys } from "../lib/store/keys";
import { readActivity, readBoard, readBoards, readRules } from "../lib/store/board-list";
import { readEntries, readHead, readHistory } from "../lib/store/message-store";
import { foldEntries, isChange, type Message } from "../lib/messages/schema";
import { RateLimiter } from "../lib/store/rate-limit";
import { createRedis } from "../lib/store/redis";
import { readRebuildNotices } from "../lib/store/followed-log";
import { syncReaders } from "../lib/store/readers";
import { readWindows, withReactions } from "../lib/store/reactions";
import { createReacting } from "../lib/board/reacting";
import { messageLocator } from "../lib/board/message-locator";
import { findMessage } from "../lib/history/history-reader";
import { addressDigest, createAuth, type Accounts } from "../lib/accounts/auth";
import { createPeople, NO_ACCOUNTS, type People } from "../lib/accounts/people";
import { createModerating, type Moderating } from "../lib/board/moderating";
import { migrate } from "../lib/history/migrations";

// How many acknowledged posts are kept, and for how long, until the store has them (it takes milliseconds).
const UNSTORED_KEPT = 10_000;
const UNSTORED_FOR_MS = 60_000;

// How long a guest post's sender stays known, for bans.
const SENDERS_FOR_SECONDS = 30 * 24 * 3600;

export type WebServices = {
  /** Finds the API's handler for a request; undefined for the pages. */
  api: ReturnType<typeof apiRouter>;
  /** Accounts, when they are on (PostgreSQL and AUTH_SECRET): the library serves /api/auth/. */
  auth: Accounts | undefined;
  people: People;
  moderating: Moderating;
  history: BoardHistory;
  boards: Boards;
  archive: Archive;
  /** Connects the producer now, so that the first posts do not wait for the broker's handshake. */
  connect(): Promise<void>;
  /** Refuses new posts and streams from now on, and ends the open streams. */
  stopTaking(): void;
  /** Closes every client; posts still in flight fail. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * The web process's composition root: every long-lived client is made here, once, and handed to what
 * needs it. One producer, one Redis connection for commands and one subscriber that fans out to every
 * viewer, and a Kafka admin client for readiness and the inspector. Nothing connects until used.
 */
export function createWebServices(config: Config, log: Logger): WebServices {
  const keys = storeKeys(config);
  const processId = randomUUID();
  const redis = createRedis(config.REDIS_URL, "message-board-web", { autoPipelining: true });
  const subscriber = createRedis(config.REDIS_URL, "message-board-web-subscriber");
  const database = config.DATABASE_URL ? createDatabase(config.DATABASE_URL, "message-board-web", log) : undefined;
  // Posts this process had acknowledged that the store may not have yet: their author may edit or delete
  // them at once, before the store has them.
  const unstored = new Map<string, { message: Message; at: number }>();
  const locator = messageLocator(async (id) => {
    if (database) return (await findMessage(database, id))?.board;
    // No lasting history: the boards' recent lists are all there is. Only an id the store has stored
    // lately (its recent ids) is looked for there, so that a made-up id costs one lookup, not every list.
    if ((await redis.zscore(keys.ids, id)) === null) return undefined;
    const slugs = [config.BOARD_ID, ...(await readBoards(redis, keys)).map((board) => board.slug)];
    const lists = await Promise.all(slugs.map((slug) => readHistory(redis, keys, slug, config.MESSAGES_LIMIT)));
    for (const { messages } of lists) for (const message of messages) locator.remember(message.id, message.board);
    return lists.flatMap(({ messages }) => messages).find((message) => message.id === id)?.board;
  });
  const readStored = async (board: string, limit = config.MESSAGES_LIMIT, reactor?: string) => {
    const stored = await readHistory(redis, keys, board, limit);
    for (const message of stored.messages) locator.remember(message.id, message.board);
    return { ...stored, messages: await withReactions(redis, keys, stored.messages, reactor) };
  };
  /** What streams catch up from: the entries, changes included, with the messages' reactions. */
  const readLive = async (board: string) => {
    const stored = await readEntries(redis, keys, board, config.MESSAGES_LIMIT);
    // Deleted ones are among the entries, but no longer anyone's to react to.
    for (const message of foldEntries(stored.entries)) locator.remember(message.id, message.board);
    return { ...stored, entries: await withReactions(redis, keys, stored.entries) };
  };
  const history = boardHistory(readStored, config.MESSAGES_LIMIT, log);
  const live = new PipelineWindow();
  const hub = new BoardHub({
    subscriber,
    channel: keys.channel,
    boardsChannel: keys.boardsChannel,
    readHistory: readLive,
    readHead: (board) => readHead(redis, keys, board),
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    log,
    onRule: (rule) => boards.forgetRules(rule.board),
    onStored: (entry) => {
      if (isChange(entry)) {
        if (entry.kind === "delete") locator.forget(entry.target);
        return;
      }
      live.stored(entry);
      locator.remember(entry.id, entry.board);
      unstored.delete(entry.id);
    },
    reactionsChannel: keys.reactionsChannel,
    readers: {
      channel: keys.readersChannel,
      // Renewed every second and lapsing after 4: a process that dies stops counting within 5 s.
      tickMs: 1000,
      sync: (counts, leaving) => syncReaders(redis, keys, { id: processId, ttlMs: leaving ? 0 : 4000 }, counts),
      announce: (payload) => redis.publish(keys.readersChannel, payload),
    },
    onSent: (viewers, { storedAt }) => {
      metrics.eventsSent.inc(viewers);
      live.delivered(viewers);
      if (viewers > 0 && storedAt) metrics.stageSeconds.observe({ stage: "deliver" }, Math.max(0, Date.now() - storedAt) / 1000);
    },
  });
  const metrics = createWebMetrics(() => hub.viewerCount, {
    underReplicated: async () => underReplicatedPartitions(await admin()),
    groupMembers: async () => groupMembers(await admin(), [config.KAFKA_CONSUMER_GROUP, ...(config.DATABASE_URL ? [config.HISTORY_CONSUMER_GROUP] : [])]),
  });
  redis.on("error", (error) => {
    metrics.redisErrors.inc();
    log.warn("Redis connection error", errorFields(error));
  });

  const kafka = createKafka(config.KAFKA_BROKERS, `${config.KAFKA_CLIENT_ID}-web`, log);
  const producer = new MessageProducer(kafka, config.KAFKA_TOPIC);
  const tail = new TopicTail(kafka, config.KAFKA_TOPIC, log);
  const adminClient = kafka.admin();
  let adminConnected: Promise<Admin> | undefined;
  const admin = () =>
    (adminConnected ??= adminClient.connect().then(
      () => adminClient,
      (error: unknown) => {
        adminConnected = undefined;
        throw error;
      },
    ));

  const boards = createBoards({
    defaultBoard: config.BOARD_ID,
    defaultName: config.BOARD_ID,
    store: {
      board: (slug) => readBoard(redis, keys, slug),
      boards: () => readBoards(redis, keys),
      activity: (slug) => readActivity(redis, keys, slug),
      rules: (slug) => readRules(redis, keys, slug),
      windows: () => readWindows(redis, keys),
    },
    produce: async (record) => void (await producer.send(config.KAFKA_BOARDS_TOPIC, [encodeBoardRecord(record)])),
    limiter: new RateLimiter(redis, keys.boardRate, { perMinute: config.BOARDS_PER_HOUR / 60, burst: config.BOARD_BURST }, log),
    log,
  });
  const archive = boardArchive(database, boards, log);

  const perMinute = (prefix: string, limit: number) => new RateLimiter(redis, prefix, { perMinute: limit, burst: Math.max(1, Math.ceil(limit / 3)) }, log);
  const auth =
    database && config.AUTH_SECRET
      ? createAuth({
          config,
          pool: database,
          limiter: new RateLimiter(redis, keys.signInRate, { perMinute: config.SIGN_INS_PER_MINUTE, burst: config.SIGN_INS_PER_MINUTE }, log),
          log,
        })
      : undefined;
  const people = auth && database ? createPeople(auth, database, config.ADMIN_EMAILS, log) : NO_ACCOUNTS;
  /** A message as readers see it now: from its board's recent list, else from history. */
  const findCurrent = async (id: string) => {
    const board = await locator.boardOf(id);
    const recent = board && (await readHistory(redis, keys, board, config.MESSAGES_LIMIT)).messages.find((message) => message.id === id);
    if (recent) return recent;
    const archived = database && (await findMessage(database, id));
    if (archived) return archived;
    // Not stored yet (the store remembers every id it stored lately): as this process accepted it.
    const accepted = unstored.get(id);
    if (!accepted) return undefined;
    if (Date.now() - accepted.at < UNSTORED_FOR_MS && (await redis.zscore(keys.ids, id)) === null) return accepted.message;
    unstored.delete(id);
    return undefined;
  };

  const moderating = createModerating({
    find: findCurrent,
    boards,
    accountExists: (id) => people.exists(id),
    senderOf: async (id) => (await redis.get(`${keys.senders}:${id}`)) ?? undefined,
    produce: (change) => producer.publish(change),
    editWindowMs: config.EDIT_WINDOW_SECONDS * 1000,
    log,
  });
  // Without accounts nobody can ban, but posts are still checked against the rules: any key will do.
  const addressKey = config.AUTH_SECRET ?? processId;

  const lifecycle = { closing: false };
  const api = apiRouter({
    posting: createPosting({
      defaultBoard: config.BOARD_ID,
      boards,
      producer,
      limiter: new RateLimiter(redis, keys.rate, { perMinute: config.POSTS_PER_MINUTE, burst: config.POST_BURST }, log),
      nameTaken: (name) => people.nameTaken(name),
      admit: (board, author, sender) => moderating.admitPost(board, author, sender),
      metrics,
      onAccepted: (message, sender) => {
        unstored.set(message.id, { message, at: Date.now() });
        if (unstored.size > UNSTORED_KEPT) unstored.delete(unstored.keys().next().value as string);
        // Who sent a guest's post is known for a while, so that moderators can ban them by it.
        if (!message.account) void redis.set(`${keys.senders}:${message.id}`, sender, "EX", SENDERS_FOR_SECONDS).catch(() => {});
        live.accept();
        // Reactable at once from here, before the store has it.
        locator.remember(message.id, message.board);
      },
      log,
    }),
    reacting: createReacting({
      boardOf: (id) => locator.boardOf(id),
      produce: (reaction) => producer.publishTo(config.KAFKA_REACTIONS_TOPIC, encodeReactionRecord(reaction)),
      limiter: new RateLimiter(redis, keys.reactionRate, { perMinute: config.REACTIONS_PER_MINUTE, burst: config.REACTION_BURST }, log),
      log,
    }),
    moderating,
    senderOf: (address) => addressDigest(addressKey, address),
    people,
    accountLimits: {
      posts: new RateLimiter(redis, keys.accountRate, { perMinute: config.POSTS_PER_MINUTE, burst: config.POST_BURST }, log),
      moderation: perMinute(keys.moderationRate, config.MODERATION_PER_MINUTE),
    },
    streams: createStreams({
      hub,
      readHistory: readLive,
      boards,
      gate: new StreamGate({ perClient: config.STREAMS_PER_CLIENT, perProcess: config.STREAMS_PER_PROCESS }),
      limits: { perClient: config.STREAMS_PER_CLIENT, bufferBytes: config.STREAM_BUFFER_BYTES },
      log,
    }),
    history,
    archive,
    boards,
    defaultBoard: config.BOARD_ID,
    lifecycle,
    clients: { trustedHops: config.TRUSTED_PROXY_HOPS, allowedOrigins: config.ALLOWED_ORIGINS },
    metrics,
    log,
    admin,
    cluster: async () => describeCluster(await admin(), config.KAFKA_BROKERS),
    redis,
    rebuilding: () => readRebuildNotices(redis, keys),
    group: { groupId: config.KAFKA_CONSUMER_GROUP, topic: config.KAFKA_TOPIC },
    lastingHistory: database && { ping: () => database.query("SELECT 1"), groupId: config.HISTORY_CONSUMER_GROUP },
    tail,
    live: () => ({ ...live.figures(), viewers: hub.viewerCount }),
    topics: { topic: config.KAFKA_TOPIC, deadLetterTopic: config.KAFKA_DLQ_TOPIC, groupId: config.KAFKA_CONSUMER_GROUP },
    processor: {
      groupId: config.PROCESSOR_GROUP,
      input: config.KAFKA_REACTIONS_TOPIC,
      deadLetterTopic: config.KAFKA_REACTIONS_DLQ_TOPIC,
      results: [config.KAFKA_REACTION_COUNTS_TOPIC, config.KAFKA_ACTIVITY_TOPIC],
    },
  });

  let hubClosed: Promise<void> | undefined;
  const stopTaking = () => {
    lifecycle.closing = true;
    hubClosed ??= hub.close();
  };
  let closed: Promise<void> | undefined;
  return {
    api,
    auth,
    people,
    moderating,
    history,
    boards,
    archive,
    connect: async () => {
      // Accounts' tables are there before the first sign-up, whichever process starts first.
      if (auth && database) await migrate(database).catch((error: unknown) => log.warn("could not bring the database's tables up to date", errorFields(error)));
      await producer.connect().then(
        () => log.info("connected to Kafka", { brokers: config.KAFKA_BROKERS }),
        (error: unknown) => log.warn("Kafka is unreachable; posts are refused until it is back", { brokers: config.KAFKA_BROKERS, ...errorFields(error) }),
      );
    },
    stopTaking,
    close: () =>
      (closed ??= (async () => {
        stopTaking();
        // The other processes stop counting this one's readers now, not when its counts lapse.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([hubClosed, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
        clearTimeout(timer);
        await producer.disconnect().catch((error: unknown) => log.warn("producer disconnect failed", errorFields(error)));
        await Promise.all([adminClient.disconnect(), tail.stop()]).catch(() => {});
        redis.disconnect();
        await database?.end().catch(() => {});
      })()),
  };
}
