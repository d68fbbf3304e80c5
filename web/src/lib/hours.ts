// A workspace's business hours as the composer needs them: outside them a message
// written waits (scheduled) until they open, unless it is sent as urgent.
import { useEffect, useState } from "react";
import { call } from "../api/client";
import type { BusinessHoursView } from "../api/types";

/** setTimeout's longest delay (about 24.8 days); a later opening is not waited for. */
const LONGEST_WAIT = 2 ** 31 - 1;

/**
 * Whether the workspace's business hours are on and closed now, and when they next
 * open (null when open, off, or not known). They are read once: a failure only means
 * no warning, since the server holds the message either way. When they open while the
 * composer stays on screen, the warning goes.
 */
export function useClosedHours(slug: string | undefined): { nextOpen: string | null } | null {
  const [hours, setHours] = useState<BusinessHoursView | null>(null);
  const [, setOpened] = useState(0);
  useEffect(() => {
    if (!slug) return;
    const ctl = new AbortController();
    call("get", "/api/v1/workspaces/{workspace}/business-hours", { path: { workspace: slug }, signal: ctl.signal }).then(
      (h) => setHours(h),
      () => undefined,
    );
    return () => ctl.abort();
  }, [slug]);

  const next = hours?.next_open ? Date.parse(hours.next_open) : NaN;
  useEffect(() => {
    if (!Number.isFinite(next)) return;
    const wait = next - Date.now();
    if (wait <= 0 || wait > LONGEST_WAIT) return;
    const t = setTimeout(() => setOpened((n) => n + 1), wait);
    return () => clearTimeout(t);
  }, [next]);

  if (!hours || !hours.enabled || hours.open_now) return null;
  if (Number.isFinite(next) && next <= Date.now()) return null;
  return { nextOpen: hours.next_open ?? null };
}
