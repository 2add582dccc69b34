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

/** What happened in one slice of the window; `stages` holds a uniform sample of its stored messages' times. */
type Slot = { start: number; accepted: number; stored: number; sent: number; stages: Record<Stage, number[]> };

const SLOT_MS = 100;
/** At most this many messages' times are kept per slot: enough for a p99 over the window, cheap to sort. */
const SAMPLES_PER_SLOT = 100;

/**
 * The last few seconds of the pipeline as this web process sees it, for the inspector's live charts: what
 * came in, what the store published (every board's messages reach every web process), what went out, and
 * how long each message spent in each stage, from the times it carries.
 *
 * Kept in slots of a tenth of a second, dropped whole as they age: at thousands of messages a second the
 * window would hold tens of thousands of samples, and dropping them one at a time from the front of an
 * array that large copies the rest each time. Each slot keeps a uniform sample of its messages' times
 * (reservoir sampling), weighed by how many it stands for, so that reading the figures stays cheap too.
 */
export class PipelineWindow {
  private readonly slots: Slot[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  accept(): void {
    this.current().accepted++;
  }

  stored(message: StoredMessage): void {
    const slot = this.current();
    const seen = ++slot.stored;
    const at = seen <= SAMPLES_PER_SLOT ? seen - 1 : Math.floor(this.random() * seen);
    if (at >= SAMPLES_PER_SLOT) return;
    const now = this.now();
    slot.stages.append[at] = between(Date.parse(message.createdAt), message.appendedAt);
    slot.stages.consume[at] = between(message.appendedAt, message.consumedAt);
    slot.stages.store[at] = between(message.consumedAt, message.storedAt);
    slot.stages.deliver[at] = between(message.storedAt, now);
  }

  delivered(viewers: number): void {
    if (viewers > 0) this.current().sent += viewers;
  }

  figures(): LiveFigures {
    this.trim();
    const seconds = this.windowMs / 1000;
    const stages = Object.fromEntries(
      STAGES.map((stage) => {
        const weighed = this.slots.flatMap((slot) => {
          const weight = slot.stored / slot.stages[stage].length;
          return slot.stages[stage].filter((time) => !Number.isNaN(time)).map((time): [number, number] => [time, weight]);
        });
        const [p50, p99] = percentiles(weighed, [0.5, 0.99]);
        return [stage, { p50, p99 }];
      }),
    ) as LiveFigures["stages"];
    const sum = (of: (slot: Slot) => number) => this.slots.reduce((total, slot) => total + of(slot), 0);
    return {
      inPerSecond: sum((slot) => slot.accepted) / seconds,
      storedPerSecond: sum((slot) => slot.stored) / seconds,
      outPerSecond: sum((slot) => slot.sent) / seconds,
      stages,
    };
  }

  private current(): Slot {
    const start = Math.floor(this.now() / SLOT_MS) * SLOT_MS;
    const last = this.slots.at(-1);
    if (last?.start === start) return last;
    this.trim();
    const slot: Slot = { start, accepted: 0, stored: 0, sent: 0, stages: { append: [], consume: [], store: [], deliver: [] } };
    this.slots.push(slot);
    return slot;
  }

  /** Drops the slots that ended before the window began. */
  private trim(): void {
    const since = this.now() - this.windowMs;
    while (this.slots.length > 0 && this.slots[0]!.start + SLOT_MS <= since) this.slots.shift();
  }
}

/** A stage's time, or NaN when the message does not carry both ends. */
function between(from: number | undefined, to: number | undefined): number {
  return from !== undefined && to !== undefined ? Math.max(0, to - from) : NaN;
}

/**
 * For each rank, the smallest time at or below which that share of the weight lies (nearest rank, when
 * every weight is 1); null without any time. Ranks in ascending order.
 */
function percentiles(weighed: [time: number, weight: number][], ranks: readonly number[]): (number | null)[] {
  weighed.sort((a, b) => a[0] - b[0]);
  const total = weighed.reduce((sum, [, weight]) => sum + weight, 0);
  const found: (number | null)[] = [];
  let below = 0;
  for (const [time, weight] of weighed) {
    below += weight;
    // A little slack, so that adding up fractional weights does not miss a rank it reaches exactly.
    while (found.length < ranks.length && below >= ranks[found.length]! * total - 1e-9) found.push(time);
    if (found.length === ranks.length) break;
  }
  const last = weighed.at(-1)?.[0] ?? null;
  return ranks.map((_, i) => found[i] ?? last);
}
