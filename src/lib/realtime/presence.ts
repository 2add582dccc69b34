import { z } from "zod";
import { errorFields, type Logger } from "../log";
import { boardSlugSchema } from "../messages/schema";
import { safeJson } from "../safe-json";

export type PresenceOptions = {
  /**
   * Records this process's counts on the given boards (`leaving`: takes them all back) and returns each
   * board's count across every process.
   */
  sync(counts: ReadonlyMap<string, number>, leaving: boolean): Promise<Map<string, number>>;
  /** Tells the other processes that these boards' counts changed. */
  announce(payload: string): Promise<unknown>;
  /** A board's count across every process, whenever it is read. */
  onTotal(board: string, total: number): void;
  log: Logger;
  /** Changes are gathered this long before they are written, so that a crowd arriving is one write. */
  flushMs?: number;
  /** How often the counts are renewed and read again: a process that died drops out at the next read. */
  tickMs?: number;
};

const announcementSchema = z.array(boardSlugSchema);

/**
 * How many streams follow each board, across every web process. Each process records its own counts in
 * Redis (src/lib/store/readers.ts) and announces a change; each process that has streams on a changed
 * board reads its count again. Counts lapse unless renewed, so a process that dies stops counting.
 */
export class Presence {
  private readonly local = new Map<string, number>();
  private readonly changed = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly options: PresenceOptions) {}

  /** This process now has `count` streams on `board`. */
  set(board: string, count: number): void {
    if (count > 0) this.local.set(board, count);
    else this.local.delete(board);
    this.changed.add(board);
    this.flushTimer ??= setTimeout(() => void this.round(false), this.options.flushMs ?? 100);
    this.tickTimer ??= setInterval(() => void this.round(true), this.options.tickMs ?? 2000).unref();
  }

  /** Another process announced changes. */
  heard(payload: string): void {
    const boards = announcementSchema.safeParse(safeJson(payload));
    if (!boards.success) return;
    const watched = boards.data.filter((board) => this.local.has(board));
    if (watched.length > 0) void this.sync(watched);
  }

  /** Takes this process's counts back, so that the others stop counting its streams at once. */
  async leave(): Promise<void> {
    clearTimeout(this.flushTimer);
    clearInterval(this.tickTimer);
    const boards = [...new Set([...this.local.keys(), ...this.changed])];
    this.local.clear();
    if (boards.length === 0) return;
    await this.options.sync(new Map(boards.map((board) => [board, 0])), true);
    await this.options.announce(JSON.stringify(boards));
  }

  /** Writes what changed (and, on a tick, renews every count), then announces the changes. */
  private async round(tick: boolean): Promise<void> {
    if (!tick) this.flushTimer = undefined;
    const changed = [...this.changed];
    this.changed.clear();
    if (!(await this.sync([...new Set([...changed, ...(tick ? this.local.keys() : [])])]))) {
      for (const board of changed) this.changed.add(board);
      return;
    }
    if (this.local.size === 0 && this.changed.size === 0) {
      clearInterval(this.tickTimer);
      this.tickTimer = undefined;
    }
    if (changed.length > 0) await this.options.announce(JSON.stringify(changed)).catch(() => {});
  }

  private async sync(boards: string[]): Promise<boolean> {
    if (boards.length === 0) return true;
    try {
      const totals = await this.options.sync(new Map(boards.map((board) => [board, this.local.get(board) ?? 0])), false);
      if (this.failing) this.options.log.info("counting readers again");
      this.failing = false;
      for (const [board, total] of totals) if (this.local.has(board)) this.options.onTotal(board, total);
      return true;
    } catch (error) {
      // Redis is away: the stream goes on without counts, which the next renewal writes again.
      if (!this.failing) this.options.log.warn("could not count readers", errorFields(error));
      this.failing = true;
      return false;
    }
  }
}
