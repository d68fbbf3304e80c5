// The Team Inbox's assignment as the browser sees it: who holds tickets, a capacity as
// typed, the auto-close rules' idle times as typed, and telling a member who is away
// from the page that the queue (or a manager) handed them one.
import { useEffect } from "react";
import { ApiError } from "../api/client";
import type { RealtimeEvent } from "../api/realtime";
import type { AutoCloseRequest, ConversationChange } from "../api/types";
import { navigate } from "../router";
import { useWorkspace } from "../workspace";

/** The roles that may reply to tickets: the ones the queue and a transfer hand them to. */
const HOLD_TICKETS = ["agent", "manager", "admin"];

export function holdsTickets(role: string): boolean {
  return HOLD_TICKETS.includes(role);
}

/** The most active tickets a capacity may be, as the server takes it. */
const MAX_CAPACITY = 1000;

/**
 * A capacity as typed: a whole number of active tickets from 0 (no limit). Anything else
 * is refused as the server refuses it, beside the field.
 */
export function capacityOf(typed: string): number {
  const n = typed.trim() === "" ? NaN : Number(typed);
  if (!Number.isInteger(n) || n < 0 || n > MAX_CAPACITY) {
    throw new ApiError(422, {
      code: "validation_failed",
      message: "The capacity is not a whole number.",
      fields: { capacity: `must be a whole number from 0 (no limit) to ${MAX_CAPACITY}` },
    });
  }
  return n;
}

/** The units an idle time is typed in, largest last, with their minutes. */
export const IDLE_UNITS = [
  { unit: "minutes", minutes: 1 },
  { unit: "hours", minutes: 60 },
  { unit: "days", minutes: 24 * 60 },
] as const;

export type IdleUnit = (typeof IDLE_UNITS)[number]["unit"];

/** An auto-close rule's idle time as the form holds it: never, or a number as typed and its unit. */
export interface IdleTime {
  amount: string;
  unit: IdleUnit | "never";
}

/** The longest idle time the server takes: 90 days, in minutes. */
const MAX_IDLE_MINUTES = 90 * 24 * 60;

/** A rule's stored minutes as the form shows them: never for 0, else in the largest unit they make whole. */
export function idleTime(minutes: number): IdleTime {
  if (minutes <= 0) return { amount: "", unit: "never" };
  const u = [...IDLE_UNITS].reverse().find((x) => minutes % x.minutes === 0) ?? IDLE_UNITS[0];
  return { amount: String(minutes / u.minutes), unit: u.unit };
}

/** A rule's minutes from what was typed, or undefined when it is not a whole number up to 90 days. */
function idleMinutes(t: IdleTime): number | undefined {
  if (t.unit === "never") return 0;
  const n = t.amount.trim() === "" ? NaN : Number(t.amount);
  const minutes = n * (IDLE_UNITS.find((x) => x.unit === t.unit)?.minutes ?? NaN);
  return Number.isInteger(n) && n >= 0 && minutes <= MAX_IDLE_MINUTES ? minutes : undefined;
}

/**
 * The auto-close rules as typed, in minutes as the server takes them. A time that is
 * not a whole number, or is longer than 90 days, is refused as the server refuses it,
 * beside its field.
 */
export function autoCloseOf(resolve: IdleTime, abandon: IdleTime): AutoCloseRequest {
  const r = idleMinutes(resolve);
  const a = idleMinutes(abandon);
  if (r === undefined || a === undefined) {
    const why = "must be a whole number, at most 90 days";
    throw new ApiError(422, {
      code: "validation_failed",
      message: "An idle time is not a whole number up to 90 days.",
      fields: { ...(r === undefined ? { resolve_after_minutes: why } : {}), ...(a === undefined ? { abandon_after_minutes: why } : {}) },
    });
  }
  return { resolve_after_minutes: r, abandon_after_minutes: a };
}

/** How many tickets' assignees a tab remembers (the latest changed), so a long day stays small. */
const REMEMBERED = 500;

/**
 * Whether ev hands a ticket to me that was not mine: the server says it was handed over,
 * or the last event this tab heard of the ticket had it in the queue or with someone
 * else. known is each ticket's assignee as last heard, which this keeps current.
 */
export function newlyAssigned(ev: RealtimeEvent, me: string, known: Map<string, string | null>): boolean {
  if (ev.type !== "conversation.updated" || ev.conversation_kind !== "ticket") return false;
  const id = ev.conversation_id;
  const now = ev.data.assignee_id ?? null;
  const before = known.get(id);
  // Taken out and put back: a Map keeps its order of insertion, the oldest go first.
  known.delete(id);
  known.set(id, now);
  if (known.size > REMEMBERED) known.delete(known.keys().next().value as string);
  if (!me || now !== me) return false;
  return ev.reassigned === true || (before !== undefined && before !== me);
}

/** Whether the member is not looking at the page: another tab, or another window in front. */
function away(): boolean {
  return document.visibilityState === "hidden" || !document.hasFocus();
}

/** "(2) Switchboard", or the title alone when nothing waits. */
export function countedTitle(title: string, count: number): string {
  const bare = title.replace(/^\(\d+\) /, "");
  return count > 0 ? `(${count}) ${bare}` : bare;
}

function desktopNotice(ticket: ConversationChange, slug: string) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  try {
    const n = new Notification(`New ticket assigned: ${ticket.title || "untitled"}`, {
      body: ticket.last_message_preview,
      // One notice a ticket, however many of the member's tabs heard it.
      tag: `ticket-${ticket.id}`,
    });
    n.onclick = () => {
      window.focus();
      navigate(`/w/${slug}/inbox/${ticket.id}`);
      n.close();
    };
  } catch {
    // Some mobile browsers show notices only from a service worker; the title still counts.
  }
}

/**
 * Tells the member of tickets newly handed to them while they are away from the page:
 * a count before the tab's title until they come back, and a desktop notice when the
 * browser allows them. Tickets they take themselves are taken looking at the page.
 */
export function useAssignmentNotices(): void {
  const { realtime, me, slug } = useWorkspace();
  useEffect(() => {
    const known = new Map<string, string | null>();
    let count = 0;
    const show = () => {
      document.title = countedTitle(document.title, count);
    };
    const back = () => {
      if (count === 0 || document.visibilityState !== "visible") return;
      count = 0;
      show();
    };
    const off = realtime.subscribe((ev) => {
      if (ev.type !== "conversation.updated" || !newlyAssigned(ev, me, known) || !away()) return;
      count++;
      show();
      desktopNotice(ev.data, slug);
    });
    document.addEventListener("visibilitychange", back);
    window.addEventListener("focus", back);
    return () => {
      off();
      document.removeEventListener("visibilitychange", back);
      window.removeEventListener("focus", back);
      count = 0;
      show();
    };
  }, [realtime, me, slug]);
}
