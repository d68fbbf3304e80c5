// Dates and times as the thread and the lists show them, in the browser's time zone.

const DAY = 24 * 60 * 60 * 1000;

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** The day separator's label: Today, Yesterday, a weekday within a week, else the date. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / DAY);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return d.toLocaleDateString(undefined, { weekday: "long" });
  return d.toLocaleDateString(undefined, { day: "numeric", month: "long", year: "numeric" });
}

/** Whether two instants fall on the same local day. */
export function sameDay(a: string, b: string): boolean {
  return startOfDay(new Date(a)) === startOfDay(new Date(b));
}

export function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** A list card's time: the clock today, else a short date. */
export function shortWhen(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (startOfDay(d) === startOfDay(now)) return clock(iso);
  if (startOfDay(now) - startOfDay(d) === DAY) return "Yesterday";
  return d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * When business hours next open: weekday, date and time as the viewer's locale writes
 * them, in their own time unless timeZone (the workspace's) is given.
 */
export function opening(iso: string, timeZone?: string): string {
  const opts: Intl.DateTimeFormatOptions = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  const d = new Date(iso);
  try {
    return d.toLocaleString(undefined, { ...opts, timeZone });
  } catch {
    // A zone this browser does not know: the viewer's own time rather than nothing.
    return d.toLocaleString(undefined, opts);
  }
}

/**
 * An instant's day as a date input and the server's date filters write it
 * (YYYY-MM-DD), in timeZone (the workspace's) or, for a zone this browser does not
 * know, in UTC.
 */
export function dayIn(iso: string, timeZone = "UTC"): string {
  const d = new Date(iso);
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** An instant as a datetime-local input holds it: in the browser's time zone, to the minute. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60 * 1000).toISOString().slice(0, 16);
}

/** WhatsApp's customer-service window: free text only within 24 h of the customer's last message. */
export const WINDOW_MS = DAY;

export function windowOpen(lastInboundAt: string | null | undefined, now: number = Date.now()): boolean {
  if (!lastInboundAt) return false;
  return now - new Date(lastInboundAt).getTime() < WINDOW_MS;
}

export function credits(n: number): string {
  return `${n.toLocaleString()} credit${Math.abs(n) === 1 ? "" : "s"}`;
}

export function money(cents: number, currency: string): string {
  try {
    return (cents / 100).toLocaleString(undefined, { style: "currency", currency: currency.toUpperCase() });
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** A file's size for people, as the server writes it in its limits: 5 MB, 1.5 MB, 300 KB. */
export function fileSize(bytes: number): string {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1).replace(/\.0$/, "")} MB`;
  if (bytes >= 1 << 10) return `${Math.floor(bytes / (1 << 10))} KB`;
  return `${bytes} bytes`;
}
