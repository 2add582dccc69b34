import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import { boardEventSchema, type BoardEvent, type History } from "../messages/schema";
import { encodeComment } from "./sse";
import { encodeBoardEvent, type Viewer } from "./viewer";

const HEARTBEAT = encodeComment("heartbeat");

/**
 * Fans the store's events out to every viewer of this process through one Redis subscription, however many
 * viewers there are. Each event is validated and encoded once and the same bytes go to everyone.
 */
export class BoardHub {
  private readonly viewers = new Set<Viewer>();
  private subscribed: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private connectedBefore = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly readHistory: () => Promise<History>,
    private readonly heartbeatMs: number,
    private readonly log: Logger,
  ) {
    subscriber.on("message", (channel: string, payload: string) => {
      if (channel === this.channel) this.broadcast(payload);
    });
    subscriber.on("error", (error) => log.warn("Redis subscriber error", errorFields(error)));
    subscriber.on("ready", () => {
      if (this.connectedBefore) void this.refill();
      this.connectedBefore = true;
    });
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Resolves once the subscription is in place, so that nothing published from then on is missed. */
  ready(): Promise<void> {
    this.subscribed ??= this.subscriber.subscribe(this.channel).then(
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
    // One timer for all viewers: a comment now and then keeps proxies from closing idle streams.
    this.heartbeat ??= setInterval(() => this.sendToAll(HEARTBEAT), this.heartbeatMs).unref();
  }

  remove(viewer: Viewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  close(): void {
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.subscriber.disconnect();
  }

  private broadcast(payload: string): void {
    const event = parseEvent(payload);
    if (event) this.dispatch(event);
    else this.log.warn("dropped a malformed event from Redis", { channel: this.channel, bytes: payload.length });
  }

  private dispatch(event: BoardEvent): void {
    const frame = encodeBoardEvent(event);
    for (const viewer of this.viewers) viewer.deliver(event, frame);
  }

  /**
   * Pub/Sub forgets what was published while the subscriber was away. After a reconnect, subscribe (again,
   * harmlessly) and only then read the stored history, so nothing falls between the two; viewers skip what
   * they already have.
   */
  private async refill(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      const { epoch, messages } = await this.readHistory();
      if (!epoch) return;
      for (const message of messages.toReversed()) this.dispatch({ epoch, message });
      this.log.info("refilled viewers from history after a Redis reconnect", { viewers: this.viewers.size });
    } catch (error) {
      this.log.warn("could not refill viewers after a Redis reconnect", errorFields(error));
    }
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
