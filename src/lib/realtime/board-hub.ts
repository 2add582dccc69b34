import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import { boardRuleSchema, boardSchema, type BoardActivity, type BoardRule, type BoardSummary } from "../messages/boards";
import { boardEventSchema, type BoardEntries, type BoardEvent, type StoredEntry } from "../messages/schema";
import type { Head } from "../store/message-store";
import { BoardRoom } from "./board-room";
import { Presence, type PresenceOptions } from "./presence";
import { encodeComment, encodeEvent } from "./sse";
import type { Viewer } from "./viewer";
import { safeJson } from "../safe-json";
import { reactionsEventSchema } from "../messages/reactions";

const HEARTBEAT = encodeComment("heartbeat");
const READERS_EVERY_MS = 1000;

export type BoardHubOptions = {
  subscriber: Redis;
  /** Where the store announces every stored message, of every board. */
  channel: string;
  /** Where the store announces every new board. */
  boardsChannel: string;
  /** Where the processor's results announce a message's new reaction counts. */
  reactionsChannel?: string;
  readHistory: (board: string) => Promise<BoardEntries>;
  readHead: (board: string) => Promise<Head | null>;
  heartbeatMs: number;
  /** How often to compare each board's newest position with the newest event received. */
  checkMs?: number;
  /** How often viewers hear which boards had new messages, at most. */
  activityMs?: number;
  log: Logger;
  /** Told how many viewers each message was written to. */
  onSent?: (viewers: number, entry: StoredEntry) => void;
  /** Told of every change to a board's rules the store announces. */
  onRule?: (rule: BoardRule) => void;
  /** Told of every entry (message or change) the store publishes, of every board, watched here or not. */
  onStored?: (entry: StoredEntry) => void;
  /** How many follow each board across every process, and the channel where changes are announced. */
  readers?: Pick<PresenceOptions, "sync" | "announce" | "tickMs"> & { channel: string };
};

/**
 * Fans the store's events out to the viewers of this process through one Redis subscription, however many
 * viewers and boards there are: each message to its board's viewers (a BoardRoom each), and to everyone
 * the list of boards as it changes (new boards at once, latest activity at most once per `activityMs`).
 */
export class BoardHub {
  private readonly rooms = new Map<string, BoardRoom>();
  private subscribed: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private connectedBefore = false;
  private activity: BoardActivity = {};
  private readonly presence: Presence | undefined;
  /** The count each viewer was last told, so that each hears a change once and a newcomer the count now. */
  private readonly toldReaders = new WeakMap<Viewer, number>();
  private readonly readersSentAt = new Map<string, number>();

  constructor(private readonly options: BoardHubOptions) {
    const { subscriber, channel, boardsChannel, readers, log } = options;
    this.presence = readers && new Presence({ ...readers, log, onTotal: (board, total) => this.sendReaders(board, total) });
    subscriber.on("message", (from: string, payload: string) => {
      if (from === channel) this.receive(payload);
      else if (from === boardsChannel) this.announce(payload);
      else if (from === readers?.channel) this.presence?.heard(payload);
      else if (from === options.reactionsChannel) this.react(payload);
    });
    subscriber.on("error", (error) => log.warn("Redis subscriber error", errorFields(error)));
    subscriber.on("ready", () => {
      if (this.connectedBefore) {
        const resubscribe = () => this.subscribe();
        for (const room of this.rooms.values()) void room.fill("the Redis subscription reconnected", { before: resubscribe });
      }
      this.connectedBefore = true;
    });
  }

  get viewerCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.viewers.size;
    return count;
  }

  /** Resolves once the subscription is in place, so that nothing published from then on is missed. */
  ready(): Promise<void> {
    this.subscribed ??= this.subscribe().then(
      () => undefined,
      (error: unknown) => {
        this.subscribed = undefined;
        throw error;
      },
    );
    return this.subscribed;
  }

  add(board: string, viewer: Viewer): void {
    let room = this.rooms.get(board);
    if (!room) {
      const { readHistory, readHead, log, onSent } = this.options;
      room = new BoardRoom({ board, readHistory, readHead, log, onSent });
      this.rooms.set(board, room);
    }
    room.viewers.add(viewer);
    this.presence?.set(board, room.viewers.size);
    // Timers for all viewers together, none per viewer: a comment now and then keeps proxies from closing
    // idle streams, and the store check catches what Pub/Sub lost.
    if (this.timers.length === 0) {
      this.timers = [
        setInterval(() => this.sendToAll(HEARTBEAT), this.options.heartbeatMs).unref(),
        setInterval(() => {
          for (const each of this.rooms.values()) void each.check();
        }, this.options.checkMs ?? 500).unref(),
        setInterval(() => this.sendActivity(), this.options.activityMs ?? 1000).unref(),
      ];
    }
  }

  remove(board: string, viewer: Viewer): void {
    const room = this.rooms.get(board);
    if (!room?.viewers.delete(viewer)) return;
    this.presence?.set(board, room.viewers.size);
    if (room.viewers.size === 0) {
      this.rooms.delete(board);
      this.readersSentAt.delete(board);
    }
    if (this.rooms.size === 0) this.stopTimers();
  }

  /** Ends every stream; resolves once the other processes have been told this one's readers left. */
  close(): Promise<void> {
    for (const room of this.rooms.values()) for (const viewer of room.viewers) viewer.end();
    this.rooms.clear();
    this.stopTimers();
    this.options.subscriber.disconnect();
    return this.presence?.leave().catch(() => {}) ?? Promise.resolve();
  }

  private subscribe(): Promise<unknown> {
    const { channel, boardsChannel, readers, reactionsChannel } = this.options;
    const optional = [readers?.channel, reactionsChannel].filter((name) => name !== undefined);
    return this.options.subscriber.subscribe(channel, boardsChannel, ...optional);
  }

  /**
   * A newcomer hears the count at once; the others hear a change at most once a second, which the next
   * renewal brings, so that a crowd arriving does not send every viewer a frame per arrival.
   */
  private sendReaders(board: string, count: number): void {
    const room = this.rooms.get(board);
    if (!room) return;
    const now = Date.now();
    const everyone = now - (this.readersSentAt.get(board) ?? 0) >= READERS_EVERY_MS;
    if (everyone) this.readersSentAt.set(board, now);
    const frame = encodeEvent({ event: "presence", data: JSON.stringify({ board, count }) });
    for (const viewer of room.viewers) {
      const told = this.toldReaders.get(viewer);
      if (told === count || (told !== undefined && !everyone)) continue;
      this.toldReaders.set(viewer, count);
      viewer.ping(frame);
    }
  }

  private receive(payload: string): void {
    const event = parseEvent(payload);
    if (!event) {
      this.options.log.warn("dropped a malformed event from Redis", { channel: this.options.channel, bytes: payload.length });
      return;
    }
    this.options.onStored?.(event.message);
    const { board, storedAt } = event.message;
    this.activity[board] = Math.max(this.activity[board] ?? 0, storedAt ?? Date.now());
    this.rooms.get(board)?.receive(event);
  }

  /** A message's new reaction counts, for its board's viewers: encoded once, however many there are. */
  private react(payload: string): void {
    const parsed = reactionsEventSchema.safeParse(safeJson(payload));
    const room = parsed.success ? this.rooms.get(parsed.data.board) : undefined;
    if (!room) return;
    const frame = encodeEvent({ event: "reactions", data: JSON.stringify(parsed.data) });
    for (const viewer of room.viewers) viewer.ping(frame);
  }

  /** A new board, for every viewer's list of boards; or a change to a board's rules, for whoever checks them. */
  private announce(payload: string): void {
    const json = safeJson(payload);
    const rule = boardRuleSchema.safeParse(json);
    if (rule.success) return this.options.onRule?.(rule.data);
    const parsed = boardSchema.safeParse(json);
    if (!parsed.success) return;
    const summary: BoardSummary = { slug: parsed.data.slug, name: parsed.data.name, latestAt: null };
    this.sendToAll(encodeEvent({ event: "board", data: JSON.stringify(summary) }));
  }

  private sendActivity(): void {
    if (Object.keys(this.activity).length === 0) return;
    const frame = encodeEvent({ event: "activity", data: JSON.stringify(this.activity) });
    this.activity = {};
    this.sendToAll(frame);
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.activity = {};
  }

  private sendToAll(frame: Uint8Array): void {
    for (const room of this.rooms.values()) for (const viewer of room.viewers) viewer.ping(frame);
  }
}

function parseEvent(payload: string): BoardEvent | undefined {
  const parsed = boardEventSchema.safeParse(safeJson(payload));
  return parsed.success ? parsed.data : undefined;
}
