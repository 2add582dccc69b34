import { ACTIVITY_SPAN_MS, ACTIVITY_WINDOW_MS, type BoardActivityRecord } from "../messages/reactions";

type Windows = BoardActivityRecord["windows"];

/**
 * Each board's messages per window over the last hour, counted by when the broker appended them (the
 * records' LogAppendTime), so that reading the same records again gives the same windows.
 */
export class ActivityWindows {
  private readonly boards = new Map<string, Windows>();

  /** Counts one message; the board's windows now, reaching back an hour from this message. */
  add(board: string, appendedAt: number): BoardActivityRecord {
    const start = appendedAt - (appendedAt % ACTIVITY_WINDOW_MS);
    const kept = (this.boards.get(board) ?? []).filter(([from]) => from > appendedAt - ACTIVITY_SPAN_MS);
    const last = kept.at(-1);
    // A record appended a moment before the newest window's start (clocks of two brokers) joins it.
    if (last && last[0] >= start) kept[kept.length - 1] = [last[0], last[1] + 1];
    else kept.push([start, 1]);
    this.boards.set(board, kept);
    return { board, windows: kept };
  }

  clear(): void {
    this.boards.clear();
  }
}

/** Messages in the minute before `now`, from a board's windows (the window `now` falls in included). */
export function perMinute(windows: Windows, now: number): number {
  const since = now - 60_000;
  return windows.reduce((sum, [from, count]) => (from + ACTIVITY_WINDOW_MS > since && from <= now ? sum + count : sum), 0);
}

/** Messages in the hour before `now`. */
export function perHour(windows: Windows, now: number): number {
  return windows.reduce((sum, [from, count]) => (from + ACTIVITY_WINDOW_MS > now - ACTIVITY_SPAN_MS && from <= now ? sum + count : sum), 0);
}
