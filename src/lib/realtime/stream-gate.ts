export type StreamLimits = { perClient: number; perProcess: number };
export type Admission = { admitted: true; release(): void } | { admitted: false; reason: "client" | "process" };

/**
 * Counts this process's open streams, by client address and in all, so that one client cannot take every
 * connection and the process never holds more than it can serve.
 */
export class StreamGate {
  private readonly byClient = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: StreamLimits) {}

  get open(): number {
    return this.total;
  }

  admit(client: string): Admission {
    const held = this.byClient.get(client) ?? 0;
    if (held >= this.limits.perClient) return { admitted: false, reason: "client" };
    if (this.total >= this.limits.perProcess) return { admitted: false, reason: "process" };
    this.byClient.set(client, held + 1);
    this.total++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.byClient.get(client) ?? 1) - 1;
        if (left > 0) this.byClient.set(client, left);
        else this.byClient.delete(client);
      },
    };
  }
}
