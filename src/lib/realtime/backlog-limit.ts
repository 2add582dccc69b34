/**
 * When a viewer counts as not keeping up: more than `limit` bytes waiting for it. A catch-up writes the
 * missed history at once, which may be more than the limit by itself; the viewer gets the time to take it:
 * until its queue first falls under the limit, it may hold the catch-up and the limit on top.
 */
export class BacklogLimit {
  private allowance: number;
  private writingCatchUp = false;

  constructor(private readonly limit: number) {
    this.allowance = limit;
  }

  /** While the catch-up is being written, nothing counts. */
  catchingUp(): void {
    this.writingCatchUp = true;
  }

  /** The catch-up is written; `queued` is what waits for the viewer now. */
  caughtUp(queued: number): void {
    this.writingCatchUp = false;
    this.allowance = queued + this.limit;
  }

  exceeded(queued: number): boolean {
    if (this.writingCatchUp) return false;
    if (queued <= this.limit) this.allowance = this.limit;
    return queued > this.allowance;
  }
}
