import { formatPosition, type Position } from "../messages/position";
import type { BoardEntries, BoardEvent, StoredEntry } from "../messages/schema";
import { encodeEvent } from "./sse";

export type ViewerOutput = {
  send(frame: Uint8Array): void;
  close(): void;
};

/** Why a viewer must reload instead of resuming: its position belongs to history the store no longer has. */
export type ResetReason = "store-restarted" | "history-trimmed";

/**
 * One connected viewer. It starts out holding live events back while the store's history is read, then
 * sends what the viewer missed, then what was held, then live events: each message once, in board order.
 */
export class Viewer {
  private held: BoardEvent[] | undefined = [];
  private epoch: string | null;
  private lastSeq: number;

  constructor(
    private readonly output: ViewerOutput,
    private readonly resumeFrom: Position | null,
  ) {
    this.epoch = resumeFrom?.epoch ?? null;
    this.lastSeq = resumeFrom?.seq ?? 0;
  }

  /** Called once, with the board's entries read after the viewer began receiving live events. */
  catchUp(history: BoardEntries): void {
    const missed = this.missedMessages(history);
    if (missed === "reset") return;
    if (history.epoch) for (const message of missed) this.sendMessage(history.epoch, message);
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.deliver(event, encodeBoardEvent(event));
  }

  /** A live event; `frame` is its encoding, shared by every viewer. */
  deliver(event: BoardEvent, frame: Uint8Array): void {
    if (this.held) {
      this.held.push(event);
      return;
    }
    if (this.epoch !== null && event.epoch !== this.epoch) return this.reset("store-restarted");
    if (event.message.seq <= this.lastSeq) return;
    // Never skip a position: ending the stream makes the browser resume from its last one, and catch-up
    // fills the hole from history.
    if (this.lastSeq > 0 && event.message.seq > this.lastSeq + 1) return this.end();
    this.epoch = event.epoch;
    this.lastSeq = event.message.seq;
    this.output.send(frame);
  }

  /**
   * Live events in board order, with their frames, and `joined`, all the frames in one, when the events
   * are one run of positions. A viewer that expects the run's first takes it in one write.
   */
  deliverRun(events: readonly BoardEvent[], frames: readonly Uint8Array[], joined: Uint8Array | undefined): void {
    const first = events[0];
    const last = events.at(-1);
    if (joined && first && last && !this.held && this.epoch === first.epoch && first.message.seq === this.lastSeq + 1) {
      this.lastSeq = last.message.seq;
      this.output.send(joined);
      return;
    }
    events.forEach((event, i) => this.deliver(event, frames[i]!));
  }

  /** Ends the stream; the browser reconnects after the retry delay and resumes from its last position. */
  end(): void {
    this.output.close();
  }

  /** A frame that is no message, such as a heartbeat; it also flows while history is being read. */
  ping(frame: Uint8Array): void {
    this.output.send(frame);
  }

  private missedMessages(history: BoardEntries): StoredEntry[] | "reset" {
    const newestFirst = history.entries;
    const newest = newestFirst[0];
    if (!this.resumeFrom) {
      // A viewer with no position starts from now.
      this.epoch = history.epoch;
      this.lastSeq = newest?.seq ?? 0;
      return [];
    }
    if (this.epoch !== null && history.epoch !== this.epoch) {
      this.reset("store-restarted");
      return "reset";
    }
    this.epoch = history.epoch;
    const missed = newestFirst.filter((message) => message.seq > this.lastSeq).reverse();
    const oldestMissed = missed[0];
    if (oldestMissed && this.lastSeq > 0 && oldestMissed.seq > this.lastSeq + 1) {
      this.reset("history-trimmed");
      return "reset";
    }
    return missed;
  }

  private sendMessage(epoch: string, message: StoredEntry): void {
    this.lastSeq = message.seq;
    this.output.send(encodeBoardEvent({ epoch, message }));
  }

  private reset(reason: ResetReason): void {
    this.output.send(encodeEvent({ event: "reset", data: JSON.stringify({ reason }) }));
    this.output.close();
  }
}

export function encodeBoardEvent(event: BoardEvent): Uint8Array {
  return encodeEvent({ id: formatPosition(event.epoch, event.message.seq), data: JSON.stringify(event.message) });
}
