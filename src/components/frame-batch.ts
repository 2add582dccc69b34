/**
 * Collects items and hands them over together once per frame, so that a page receiving hundreds of
 * messages a second renders once a frame rather than once a message. A hidden page has no frames: it is
 * flushed on a timer instead, so that it is current when it is shown again.
 */
export function frameBatch<T>(apply: (items: T[]) => void): { add(item: T): void; cancel(): void } {
  let pending: T[] = [];
  let frame: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    frame = undefined;
    clearTimeout(timer);
    timer = undefined;
    const items = pending;
    pending = [];
    if (items.length > 0) apply(items);
  };
  return {
    add(item) {
      pending.push(item);
      if (frame !== undefined || timer !== undefined) return;
      if (typeof document !== "undefined" && document.visibilityState === "visible" && typeof requestAnimationFrame === "function") {
        frame = requestAnimationFrame(flush);
      } else {
        timer = setTimeout(flush, 100);
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
