// How often a hidden page, which has no frames, is handed what arrived.
const HIDDEN_FLUSH_MS = 100;

/**
 * Collects items and hands them over together at the next frame, so that a page receiving hundreds of
 * messages a second renders once a frame rather than once a message; with `minIntervalMs`, at most once in
 * that time, so that a flood is rendered in a few large steps rather than many small ones, each costing a
 * layout and a paint of the whole list. An item after a quiet spell still goes at the next frame. A hidden
 * page has no frames: it is flushed on a timer instead, so that it is current when it is shown again.
 */
export function frameBatch<T>(apply: (items: T[]) => void, minIntervalMs = 0): { add(item: T): void; cancel(): void } {
  let pending: T[] = [];
  let frame: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushedAt = Number.NEGATIVE_INFINITY;
  const flush = () => {
    frame = undefined;
    clearTimeout(timer);
    timer = undefined;
    flushedAt = performance.now();
    const items = pending;
    pending = [];
    if (items.length > 0) apply(items);
  };
  const nextFrame = () => {
    timer = undefined;
    frame = requestAnimationFrame(flush);
  };
  return {
    add(item) {
      pending.push(item);
      if (frame !== undefined || timer !== undefined) return;
      if (typeof document !== "undefined" && document.visibilityState === "visible" && typeof requestAnimationFrame === "function") {
        const wait = flushedAt + minIntervalMs - performance.now();
        if (wait > 0) timer = setTimeout(nextFrame, wait);
        else nextFrame();
      } else {
        timer = setTimeout(flush, HIDDEN_FLUSH_MS);
      }
    },
    /** Drops what waits; what is added afterwards is handed over as usual. */
    cancel() {
      if (frame !== undefined) cancelAnimationFrame(frame);
      clearTimeout(timer);
      frame = undefined;
      timer = undefined;
      pending = [];
    },
  };
}
