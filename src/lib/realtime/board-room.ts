import { errorFields, type Logger } from "../log";
import type { BoardEntries, BoardEvent, StoredEntry } from "../messages/schema";
import type { Head } from "../store/message-store";
import { encodeBoardEvent, type Viewer } from "./viewer";

export type BoardRoomOptions = {
  board: string;
  readHistory: (board: string) => Promise<BoardEntries>;
  readHead: (board: string) => Promise<Head | null>;
  log: Logger;
  /** Told how many viewers each message was written to. */
  onSent?: (viewers: number, entry: StoredEntry) => void;
};

/**
 * The viewers of one board in this process, and what the store published for it. Each event is encoded
 * once and the same bytes go to every viewer.
 *
 * Pub/Sub delivers at most once: what is published while the subscriber reconnects is gone. A board's
 * positions are dense, so the room notices a gap (or a message stored a while ago that never arrived) and
 * fills it from the stored history, holding back live events meanwhile, so that viewers get every message
 * in order.
 */
export class BoardRoom {
  readonly viewers = new Set<Viewer>();
  /** The newest event sent to viewers. */
  private last: Head | undefined;
  /** Live events held while a gap is being filled; undefined when none is. */
  private held: BoardEvent[] | undefined;
  private headBefore: Head | null = null;
  private checking = false;
  /** Dispatched and not yet written. */
  private outgoing: BoardEvent[] = [];
  /** When the next round of writes may start: as long after the last one ended as it took. */
  private nextSendAt = 0;

  constructor(private readonly options: BoardRoomOptions) {}

  receive(event: BoardEvent): void {
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
    this.outgoing.push(event);
    if (this.outgoing.length > 1) return;
    // Writing to thousands of viewers takes a while; as long again goes to everything else the process
    // does (posts above all) before the next round, whose events then share each viewer's write.
    const wait = this.nextSendAt - performance.now();
    if (wait > 0) setTimeout(() => this.send(), wait);
    else setImmediate(() => this.send());
  }

  /**
   * Events dispatched together (one read of the subscription brings all that was published meanwhile)
   * leave together: one write per viewer, of bytes encoded once for all. Writes, not bytes, are what
   * fan-out costs: each is a system call that, on a local connection, also does the reader's work.
   */
  private send(): void {
    const started = performance.now();
    const events = this.outgoing;
    this.outgoing = [];
    const frames = events.map(encodeBoardEvent);
    const first = events[0]!;
    const inOneRun = events.every((event, i) => event.epoch === first.epoch && event.message.seq === first.message.seq + i);
    const joined = frames.length === 1 ? frames[0] : inOneRun ? Buffer.concat(frames) : undefined;
    for (const viewer of this.viewers) viewer.deliverRun(events, frames, joined);
    for (const event of events) this.options.onSent?.(this.viewers.size, event.message);
    this.nextSendAt = 2 * performance.now() - started;
  }

  /**
   * Sends viewers what the store has and they may not, holding live events until then. `before` runs
   * first (after a reconnect: subscribing again), so that nothing falls between it and the read.
   */
  async fill(why: string, { before, holding }: { before?: () => Promise<unknown>; holding?: BoardEvent } = {}): Promise<void> {
    if (this.held) {
      if (holding) this.held.push(holding);
      return;
    }
    this.held = holding ? [holding] : [];
    const { log, board } = this.options;
    try {
      if (before) await before();
      const { epoch, entries } = await this.options.readHistory(board);
      if (epoch) for (const entry of entries.toReversed()) this.dispatch({ epoch, message: entry });
      log.info("filled viewers from the stored history", { board, why, viewers: this.viewers.size });
    } catch (error) {
      // Viewers notice the gap themselves and reconnect, catching up from history when it can be read.
      log.warn("could not fill viewers from the stored history", { board, why, ...errorFields(error) });
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const event of held) this.dispatch(event);
    }
  }

  /** A message stored one check ago that has still not arrived was lost on the way: fetch it. */
  async check(): Promise<void> {
    if (this.checking || this.held) return;
    this.checking = true;
    try {
      const head = await this.options.readHead(this.options.board);
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
}
