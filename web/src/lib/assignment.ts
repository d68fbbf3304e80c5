// The Team Inbox's assignment as the browser sees it: who holds tickets, a capacity as
// typed, the auto-close rules' idle times and the SLA targets as typed, and telling a
// member who is away from the page that the queue (or a manager) handed them one.
import { useEffect } from "react";
import { ApiError } from "../api/client";
import type { RealtimeEvent } from "../api/realtime";
import type { AutoCloseRequest, ConversationChange, SLARequest } from "../api/types";
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

/**
 * The units the Assignment page's times are typed in (auto-close idle times, SLA
 * targets), largest last, with their minutes.
 */
export const TIME_UNITS = [
  { unit: "minutes", minutes: 1 },
  { unit: "hours", minutes: 60 },
  { unit: "days", minutes: 24 * 60 },
] as const;

export type TimeUnit = (typeof TIME_UNITS)[number]["unit"];

/**
 * One of those times as the form holds it: none (0 to the server: an auto-close rule
 * that never applies, an SLA target not set), or a number as typed and its unit.
 */
export interface TypedTime {
  amount: string;
  unit: TimeUnit | "none";
}

/** Stored minutes as the form shows them: none for 0, else in the largest unit they make whole. */
export function typedTime(minutes: number): TypedTime {
  if (minutes <= 0) return { amount: "", unit: "none" };
  const u = [...TIME_UNITS].reverse().find((x) => minutes % x.minutes === 0) ?? TIME_UNITS[0];
  return { amount: String(minutes / u.minutes), unit: u.unit };
}

/** A time's minutes from what was typed, or undefined when it is not a whole number up to max minutes. */
function typedMinutes(t: TypedTime, max: number): number | undefined {
  if (t.unit === "none") return 0;
  const n = t.amount.trim() === "" ? NaN : Number(t.amount);
  const minutes = n * (TIME_UNITS.find((x) => x.unit === t.unit)?.minutes ?? NaN);
  return Number.isInteger(n) && n >= 0 && minutes <= max ? minutes : undefined;
}

/**
 * Times as typed, by the field each is sent as, in minutes as the server takes them.
 * One that is not a whole number, or is longer than maxDays, is refused as the server
 * refuses it, beside its field, before anything is sent.
 */
function inMinutes<K extends string>(times: Record<K, TypedTime>, maxDays: number): Record<K, number> {
  const out = {} as Record<K, number>;
  const refused: Record<string, string> = {};
  for (const field of Object.keys(times) as K[]) {
    const m = typedMinutes(times[field], maxDays * 24 * 60);
    if (m === undefined) refused[field] = `must be a whole number, at most ${maxDays} days`;
    else out[field] = m;
  }
  if (Object.keys(refused).length > 0) {
    throw new ApiError(422, { code: "validation_failed", message: `A time is not a whole number up to ${maxDays} days.`, fields: refused });
  }
  return out;
}

/** The longest idle time the server takes: 90 days. */
const MAX_IDLE_DAYS = 90;

/** The auto-close rules as typed, in minutes as the server takes them (each at most 90 days). */
export function autoCloseOf(resolve: TypedTime, abandon: TypedTime): AutoCloseRequest {
  return inMinutes({ resolve_after_minutes: resolve, abandon_after_minutes: abandon }, MAX_IDLE_DAYS);
}

/** The longest SLA target the server takes: 30 days. */
const MAX_TARGET_DAYS = 30;

/** The SLA targets as typed, in minutes as the server takes them (each at most 30 days), and whether only business hours count. */
export function slaOf(targets: { first: TypedTime; next: TypedTime; resolution: TypedTime }, businessHours: boolean): SLARequest {
  const minutes = inMinutes(
    { first_response_minutes: targets.first, next_response_minutes: targets.next, resolution_minutes: targets.resolution },
    MAX_TARGET_DAYS,
  );
  return { ...minutes, business_hours: businessHours };
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
