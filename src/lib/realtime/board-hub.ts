import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import { boardEventSchema, type BoardEvent, type History } from "../messages/schema";
import type { Head } from "../store/message-store";
import { encodeComment } from "./sse";
import { encodeBoardEvent, type Viewer } from "./viewer";

const HEARTBEAT = encodeComment("heartbeat");

export type BoardHubOptions = {
  subscriber: Redis;
  channel: string;
  readHistory: () => Promise<History>;
  readHead: () => Promise<Head | null>;
  heartbeatMs: number;
  /** How often to compare the store's newest position with the newest event received. */
  checkMs?: number;
  log: Logger;
  /** Told how many viewers each event was written to. */
  onSent?: (viewers: number) => void;
};

/**
 * Fans the store's events out to every viewer of this process through one Redis subscription, however many
 * viewers there are. Each event is validated and encoded once and the same bytes go to everyone.
 *
 * Pub/Sub delivers at most once: what is published while the subscriber reconnects is gone. Positions are
 * dense, so the hub notices a gap (or a message stored a while ago that never arrived) and fills it from the
 * stored history, holding back live events meanwhile, so that viewers get every message in order.
 */
export class BoardHub {
  private readonly viewers = new Set<Viewer>();
  private subscribed: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private connectedBefore = false;
  /** The newest event sent to viewers. */
  private last: Head | undefined;
  /** Live events held while a gap is being filled; undefined when none is. */
  private held: BoardEvent[] | undefined;
  private headBefore: Head | null = null;
  private checking = false;

  constructor(private readonly options: BoardHubOptions) {
    const { subscriber, channel, log } = options;
    subscriber.on("message", (from: string, payload: string) => {
      if (from === channel) this.receive(payload);
    });
    subscriber.on("error", (error) => log.warn("Redis subscriber error", errorFields(error)));
    subscriber.on("ready", () => {
      if (this.connectedBefore) void this.fill("the Redis subscription reconnected", { resubscribe: true });
      this.connectedBefore = true;
    });
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Resolves once the subscription is in place, so that nothing published from then on is missed. */
  ready(): Promise<void> {
    this.subscribed ??= this.options.subscriber.subscribe(this.options.channel).then(
      () => undefined,
      (error: unknown) => {
        this.subscribed = undefined;
        throw error;
      },
    );
    return this.subscribed;
  }

  add(viewer: Viewer): void {
    this.viewers.add(viewer);
    // Timers for all viewers together, none per viewer: a comment now and then keeps proxies from closing
    // idle streams, and the store check catches what Pub/Sub lost.
    if (this.timers.length === 0) {
      this.timers = [
        setInterval(() => this.sendToAll(HEARTBEAT), this.options.heartbeatMs).unref(),
        setInterval(() => void this.check(), this.options.checkMs ?? 500).unref(),
      ];
    }
  }

  remove(viewer: Viewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.stopTimers();
  }

  close(): void {
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
    this.stopTimers();
    this.options.subscriber.disconnect();
  }

  private receive(payload: string): void {
    const event = parseEvent(payload);
    if (!event) {
      this.options.log.warn("dropped a malformed event from Redis", { channel: this.options.channel, bytes: payload.length });
      return;
    }
    if (this.held) {
      this.held.push(event);
      return;
    }
    const last = this.last;
    if (last && event.epoch === last.epoch && event.message.seq > last.seq + 1) {
      void this.fill(`positions ${last.seq + 1} to ${event.message.seq - 1} never arrived`, { holding: event });
      return;
    }
    this.dispatch(event);
  }

  private dispatch(event: BoardEvent): void {
    const last = this.last;
    if (last && event.epoch === last.epoch && event.message.seq <= last.seq) return;
    this.last = { epoch: event.epoch, seq: event.message.seq };
    const frame = encodeBoardEvent(event);
    for (const viewer of this.viewers) viewer.deliver(event, frame);
    this.options.onSent?.(this.viewers.size);
  }

  /**
   * Sends viewers what the store has and they may not, holding live events until then. After a reconnect,
   * subscribe again (harmlessly) before reading, so that nothing falls between the two.
   */
  private async fill(why: string, { resubscribe = false, holding }: { resubscribe?: boolean; holding?: BoardEvent } = {}): Promise<void> {
    if (this.held) {
      if (holding) this.held.push(holding);
      return;
    }
    this.held = holding ? [holding] : [];
    const { log } = this.options;
    try {
      if (resubscribe) await this.options.subscriber.subscribe(this.options.channel);
      const { epoch, messages } = await this.options.readHistory();
      if (epoch) for (const message of messages.toReversed()) this.dispatch({ epoch, message });
      log.info("filled viewers from the stored history", { why, viewers: this.viewers.size });
    } catch (error) {
      // Viewers notice the gap themselves and reconnect, catching up from history when it can be read.
      log.warn("could not fill viewers from the stored history", { why, ...errorFields(error) });
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const event of held) this.dispatch(event);
    }
  }

  /** A message stored one check ago that has still not arrived was lost on the way: fetch it. */
  private async check(): Promise<void> {
    if (this.checking || this.held) return;
    this.checking = true;
    try {
      const head = await this.options.readHead();
      const before = this.headBefore;
      this.headBefore = head;
      const last = this.last;
      if (!before || !last) return;
      if (before.epoch !== last.epoch || before.seq > last.seq) await this.fill(`position ${before.seq} was stored but never arrived`);
    } catch {
      // Redis is away; the subscriber's reconnect brings a fill of its own.
    } finally {
      this.checking = false;
    }
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.headBefore = null;
  }

  private sendToAll(frame: Uint8Array): void {
    for (const viewer of this.viewers) viewer.ping(frame);
  }
}

function parseEvent(payload: string): BoardEvent | undefined {
  try {
    const parsed = boardEventSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
