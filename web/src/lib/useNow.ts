// The time now, for what counts down on screen (a ticket's SLA targets): one clock for
// the whole page, ticking every 30 seconds while anything shows it, so a list of a
// hundred tickets re-renders together twice a minute rather than each on its own.
import { useEffect, useState } from "react";

/** How often the shown time moves on: a countdown in whole minutes is never more than half a minute behind. */
export const TICK_MS = 30 * 1000;

const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function tick() {
  const now = Date.now();
  listeners.forEach((fn) => fn(now));
}

function subscribe(fn: (now: number) => void): () => void {
  listeners.add(fn);
  // Started by the first to show the time, stopped when the last goes.
  timer ??= setInterval(tick, TICK_MS);
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The time now in milliseconds, moving on every 30 seconds with the rest of the page. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => subscribe(setNow), []);
  return now;
}
