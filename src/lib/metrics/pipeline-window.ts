import type { StoredMessage } from "../messages/schema";

export const STAGES = ["append", "consume", "store", "deliver"] as const;
export type Stage = (typeof STAGES)[number];

export type LiveFigures = {
  /** Per second over the window: posts this process accepted, messages the store published, events written to viewers. */
  inPerSecond: number;
  storedPerSecond: number;
  outPerSecond: number;
  /** Milliseconds each stage took, p50 and p99 over the window's messages; null without any. */
  stages: Record<Stage, { p50: number | null; p99: number | null }>;
};

/** What happened in one slice of the window. */
type Slot = { start: number; accepted: number; sent: number; stages: Record<Stage, number[]> };

const SLOT_MS = 100;

/**
 * The last few seconds of the pipeline as this web process sees it, for the inspector's live charts: what
 * came in, what the store published (every board's messages reach every web process), what went out, and
 * how long each message spent in each stage, from the times it carries.
 *
 * Kept in slots of a tenth of a second, dropped whole as they age: at thousands of messages a second the
 * window holds tens of thousands of samples, and dropping them one at a time from the front of an array
 * that large copies the rest each time.
 */
export class PipelineWindow {
  private readonly slots: Slot[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  accept(): void {
    this.current().accepted++;
  }

  stored(message: StoredMessage): void {
    const slot = this.current();
    const at = this.now();
    const between = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined ? Math.max(0, to - from) : undefined);
    const times: Record<Stage, number | undefined> = {
      append: between(Date.parse(message.createdAt), message.appendedAt),
      consume: between(message.appendedAt, message.consumedAt),
      store: between(message.consumedAt, message.storedAt),
      deliver: between(message.storedAt, at),
    };
    // Each stage's list counts the messages stored in the slot, whether or not they carry that stage's times.
    for (const stage of STAGES) slot.stages[stage].push(times[stage] ?? NaN);
  }

  delivered(viewers: number): void {
    if (viewers > 0) this.current().sent += viewers;
  }

  figures(): LiveFigures {
    this.trim();
    const seconds = this.windowMs / 1000;
    const stages = Object.fromEntries(
      STAGES.map((stage) => {
        const times = this.slots.flatMap((slot) => slot.stages[stage].filter((time) => !Number.isNaN(time))).sort((a, b) => a - b);
        return [stage, { p50: percentile(times, 0.5), p99: percentile(times, 0.99) }];
      }),
    ) as LiveFigures["stages"];
    const sum = (of: (slot: Slot) => number) => this.slots.reduce((total, slot) => total + of(slot), 0);
    return {
      inPerSecond: sum((slot) => slot.accepted) / seconds,
      storedPerSecond: sum((slot) => slot.stages.append.length) / seconds,
      outPerSecond: sum((slot) => slot.sent) / seconds,
      stages,
    };
  }

  private current(): Slot {
    const start = Math.floor(this.now() / SLOT_MS) * SLOT_MS;
    const last = this.slots.at(-1);
    if (last?.start === start) return last;
    this.trim();
    const slot: Slot = { start, accepted: 0, sent: 0, stages: { append: [], consume: [], store: [], deliver: [] } };
    this.slots.push(slot);
    return slot;
  }

  /** Drops the slots that ended before the window began. */
  private trim(): void {
    const since = this.now() - this.windowMs;
    while (this.slots.length > 0 && this.slots[0]!.start + SLOT_MS <= since) this.slots.shift();
  }
}

function percentile(sorted: readonly number[], rank: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(rank * sorted.length) - 1)]!;
}
