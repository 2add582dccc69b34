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

type Sample = { at: number; stages: Record<Stage, number | undefined> };

/**
 * The last few seconds of the pipeline as this web process sees it, for the inspector's live charts: what
 * came in, what the store published (every board's messages reach every web process), what went out, and
 * how long each message spent in each stage, from the times it carries.
 */
export class PipelineWindow {
  private readonly accepted: number[] = [];
  private readonly sent: { at: number; count: number }[] = [];
  private readonly samples: Sample[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  accept(): void {
    this.accepted.push(this.now());
    this.trim();
  }

  stored(message: StoredMessage): void {
    const at = this.now();
    const between = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined ? Math.max(0, to - from) : undefined);
    this.samples.push({
      at,
      stages: {
        append: between(Date.parse(message.createdAt), message.appendedAt),
        consume: between(message.appendedAt, message.consumedAt),
        store: between(message.consumedAt, message.storedAt),
        deliver: between(message.storedAt, at),
      },
    });
    this.trim();
  }

  delivered(viewers: number): void {
    if (viewers > 0) this.sent.push({ at: this.now(), count: viewers });
  }

  figures(): LiveFigures {
    this.trim();
    const seconds = this.windowMs / 1000;
    const stages = Object.fromEntries(
      STAGES.map((stage) => {
        const times = this.samples.flatMap((sample) => sample.stages[stage] ?? []).sort((a, b) => a - b);
        return [stage, { p50: percentile(times, 0.5), p99: percentile(times, 0.99) }];
      }),
    ) as LiveFigures["stages"];
    return {
      inPerSecond: this.accepted.length / seconds,
      storedPerSecond: this.samples.length / seconds,
      outPerSecond: this.sent.reduce((sum, { count }) => sum + count, 0) / seconds,
      stages,
    };
  }

  private trim(): void {
    const since = this.now() - this.windowMs;
    while ((this.accepted[0] ?? since) < since) this.accepted.shift();
    while ((this.sent[0]?.at ?? since) < since) this.sent.shift();
    while ((this.samples[0]?.at ?? since) < since) this.samples.shift();
  }
}

function percentile(sorted: readonly number[], rank: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(rank * sorted.length) - 1)]!;
}
