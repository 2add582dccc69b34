"use client";

import { useMemo, useSyncExternalStore } from "react";

const TICK_MS = 30_000;

/** The time, read when the list appears and then every TICK_MS, so that "5 min ago" stays true. */
let clock = Date.now();
function subscribeToClock(changed: () => void): () => void {
  clock = Date.now();
  const timer = setInterval(() => {
    clock = Date.now();
    changed();
  }, TICK_MS);
  return () => clearInterval(timer);
}
const readClock = () => clock;

export function useNow(): Date {
  const now = useSyncExternalStore(subscribeToClock, readClock, readClock);
  return useMemo(() => new Date(now), [now]);
}
