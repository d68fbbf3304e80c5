// A ticket's SLA targets as the browser counts them: which it missed, which runs
// next and how long it has left. The ticket carries the moments its targets fall due
// (set when each clock started), so the count goes on between answers from the
// server; a realtime change carries those moments but not the verdict
// (sla_breaches), which is why the verdict is reckoned here, by the server's own
// rule (platform/messaging/sla.go, SLABreaches).
import type { ConversationChange } from "../api/types";

export type SlaTarget = "first_response" | "next_response" | "resolution";

/** The targets in the order a ticket meets them, with their names in the product's words. */
export const SLA_TARGETS: { target: SlaTarget; name: string }[] = [
  { target: "first_response", name: "First response" },
  { target: "next_response", name: "Next response" },
  { target: "resolution", name: "Resolution" },
];

export function targetName(t: SlaTarget): string {
  return SLA_TARGETS.find((x) => x.target === t)?.name ?? t;
}

/** What of a ticket its SLA clocks are read from: a listed ticket or a realtime change alike. */
export type SlaClocks = Pick<
  ConversationChange,
  | "state"
  | "state_changed_at"
  | "first_response_due_at"
  | "first_response_at"
  | "first_response_missed"
  | "next_response_due_at"
  | "next_response_missed"
  | "resolution_due_at"
  | "resolution_missed"
>;

/** Whether the ticket is still being worked (queued, active, pending): its clocks run. */
export function ticketOpen(c: Pick<SlaClocks, "state">): boolean {
  return c.state === "queued" || c.state === "active" || c.state === "pending";
}

/** An instant as milliseconds, or undefined for none. */
function ms(iso: string | null | undefined): number | undefined {
  return iso ? Date.parse(iso) : undefined;
}

/** When the ticket's clocks read: now while it is open, else when it was resolved or abandoned. */
function stoppedAt(c: SlaClocks, now: number): number {
  return ticketOpen(c) ? now : Date.parse(c.state_changed_at);
}

/** Whether the ticket carries any SLA target at all (else there is nothing to show). */
export function hasTargets(c: SlaClocks): boolean {
  return !!(
    c.first_response_due_at ||
    c.next_response_due_at ||
    c.resolution_due_at ||
    c.first_response_missed ||
    c.next_response_missed ||
    c.resolution_missed
  );
}

/**
 * The targets the ticket has missed by now, as the server's sla_breaches names them:
 * one missed in an earlier cycle (the *_missed flags: missed stays missed when a
 * ticket reopens); a first response not given by its target while the clock ran (an
 * answer after the ticket closed does not count); a customer's message still waiting
 * past its target; a resolution past its target. A clock stops when the ticket is
 * resolved or abandoned. Times compare to the millisecond.
 */
export function slaBreaches(c: SlaClocks, now: number): SlaTarget[] {
  const stopped = stoppedAt(c, now);
  const out: SlaTarget[] = [];
  const first = ms(c.first_response_due_at);
  const answered = ms(c.first_response_at);
  if (c.first_response_missed || (first !== undefined && stopped > first && (answered === undefined || answered > first))) out.push("first_response");
  const next = ms(c.next_response_due_at);
  if (c.next_response_missed || (next !== undefined && stopped > next)) out.push("next_response");
  const resolution = ms(c.resolution_due_at);
  if (c.resolution_missed || (resolution !== undefined && stopped > resolution)) out.push("resolution");
  return out;
}

/** A target's clock that is running: which target, and when it falls due (milliseconds). */
export interface Due {
  target: SlaTarget;
  at: number;
}

/**
 * The clocks running now on an open ticket and not yet past their target, soonest
 * first: the first response until the team answers, the next response while a
 * customer's message waits (an earlier late answer does not stop the one running),
 * and the resolution. A closed ticket has none.
 */
export function runningClocks(c: SlaClocks, now: number): Due[] {
  if (!ticketOpen(c)) return [];
  const out: Due[] = [];
  const first = ms(c.first_response_due_at);
  if (first !== undefined && !c.first_response_at) out.push({ target: "first_response", at: first });
  const next = ms(c.next_response_due_at);
  if (next !== undefined) out.push({ target: "next_response", at: next });
  const resolution = ms(c.resolution_due_at);
  if (resolution !== undefined) out.push({ target: "resolution", at: resolution });
  return out.filter((d) => d.at >= now).sort((a, b) => a.at - b.at);
}

/** The target that falls due first on an open ticket, or null when none is running. */
export function nextDue(c: SlaClocks, now: number): Due | null {
  return runningClocks(c, now)[0] ?? null;
}

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A span of time in the largest whole unit: "12 min", "3 h", "2 days". Rounded down,
 * so a countdown never promises more time than there is; under a minute still says
 * 1 min, since "0 min" reads as nothing to count.
 */
export function duration(span: number): string {
  if (span < HOUR) return `${Math.max(1, Math.floor(span / MINUTE))} min`;
  if (span < 2 * DAY) return `${Math.floor(span / HOUR)} h`;
  return `${Math.floor(span / DAY)} days`;
}

/** How long is left until a target falls due (left in milliseconds, negative once it passed): "in 12 min", "overdue 5 min". */
export function countdown(left: number): string {
  return left < 0 ? `overdue ${duration(-left)}` : `in ${duration(left)}`;
}

/** How far off a due target is shown as soon: within 15 minutes. */
export const DUE_SOON_MS = 15 * MINUTE;

/** Where a target of the ticket stands: met, missed, running towards its due time, or stopped before it (the ticket closed). */
export type TargetState = "met" | "missed" | "running" | "stopped";

export interface TargetStanding {
  target: SlaTarget;
  /** the clock's due time now, if one is set */
  due: string | null;
  state: TargetState;
  /** next response only: a customer's earlier message was answered late */
  missedEarlier?: boolean;
}

/**
 * Each target the ticket carries and where it stands, in the order a ticket meets
 * them, read by the same rule as slaBreaches. A next response with no clock running
 * and none missed has nothing to tell (answers on time leave no trace) and is left out.
 */
export function targetStandings(c: SlaClocks, now: number): TargetStanding[] {
  const stopped = stoppedAt(c, now);
  const open = ticketOpen(c);
  const clock = (due: number): TargetState => (stopped > due ? "missed" : open ? "running" : "stopped");
  const out: TargetStanding[] = [];

  const first = ms(c.first_response_due_at);
  if (first !== undefined) {
    const answered = ms(c.first_response_at);
    out.push({
      target: "first_response",
      due: c.first_response_due_at ?? null,
      // Answered in time is met; otherwise the clock says (an answer after closing does not count).
      state: c.first_response_missed ? "missed" : answered !== undefined && answered <= first ? "met" : clock(first),
    });
  } else if (c.first_response_missed) {
    out.push({ target: "first_response", due: null, state: "missed" });
  }

  const next = ms(c.next_response_due_at);
  if (next !== undefined) {
    out.push({ target: "next_response", due: c.next_response_due_at ?? null, state: clock(next), missedEarlier: c.next_response_missed });
  } else if (c.next_response_missed) {
    out.push({ target: "next_response", due: null, state: "missed" });
  }

  const resolution = ms(c.resolution_due_at);
  if (resolution !== undefined) {
    const state = clock(resolution);
    // Stopped in time by resolving it is the target met; abandoning it is not.
    out.push({
      target: "resolution",
      due: c.resolution_due_at ?? null,
      state: c.resolution_missed ? "missed" : state === "stopped" && c.state === "resolved" ? "met" : state,
    });
  } else if (c.resolution_missed) {
    out.push({ target: "resolution", due: null, state: "missed" });
  }
  return out;
}
