// A ticket's SLA targets on screen: a chip on its card and in its head (missed, or the
// next one counting down), and where each target stands in the details beside it.
// They count down with the page's clock (useNow), without asking the server again.
import { Fragment } from "react";
import type { Conversation } from "../api/types";
import { dateTime } from "../lib/format";
import { countdown, DUE_SOON_MS, duration, hasTargets, nextDue, slaBreaches, targetName, targetStandings, ticketOpen, type SlaTarget, type TargetState } from "../lib/sla";
import { useNow } from "../lib/useNow";

/** What the chip says is due next: "First response in 12 min", "Reply in 5 min", "Resolve in 3 h". */
const DUE_WORDS: Record<SlaTarget, string> = {
  first_response: "First response",
  next_response: "Reply",
  resolution: "Resolve",
};

/**
 * A ticket's SLA at a glance: red "SLA missed" once it missed a target (which ones in
 * its tooltip), else the target due next counting down, amber within 15 minutes. A
 * resolved or abandoned ticket shows one only if it missed something; one without
 * targets shows nothing.
 */
export function SlaChip({ c }: { c: Conversation }) {
  // Only tickets with targets tick with the clock.
  if (c.kind !== "ticket" || !hasTargets(c)) return null;
  return <TicketSlaChip c={c} />;
}

function TicketSlaChip({ c }: { c: Conversation }) {
  const now = useNow();
  const missed = slaBreaches(c, now);
  if (missed.length > 0) {
    const which = missed.map((t) => targetName(t).toLowerCase()).join(", ");
    return (
      <span className="sla-chip sla-chip-missed" title={`Missed: ${which}`}>
        SLA missed<span className="sr-only">: {which}</span>
      </span>
    );
  }
  const due = nextDue(c, now);
  if (!due) return null;
  const left = due.at - now;
  return (
    <span className={`sla-chip${left <= DUE_SOON_MS ? " sla-chip-soon" : ""}`} title={`${targetName(due.target)} due ${dateTime(new Date(due.at).toISOString())}`}>
      {DUE_WORDS[due.target]} {countdown(left)}
    </span>
  );
}

const STATE_WORDS: Record<TargetState, string> = {
  met: "Met",
  missed: "Missed",
  running: "Running",
  stopped: "Stopped",
};

/**
 * Where each of a ticket's targets stands: met, missed, running (with how long is
 * left) or stopped (the ticket closed before it fell due), its due time, and when the
 * team first answered. Nothing for a ticket without targets.
 */
export function SlaDetails({ c }: { c: Conversation }) {
  if (c.kind !== "ticket" || !hasTargets(c)) return null;
  return <TicketSlaDetails c={c} />;
}

function TicketSlaDetails({ c }: { c: Conversation }) {
  const now = useNow();
  return (
    <section className="sla-details" aria-label="SLA targets">
      <h3>SLA targets</h3>
      <dl className="facts">
        {targetStandings(c, now).map((s) => {
          // A clock still counting shows how long is left, or how long past it: an
          // answered first response and a closed ticket's clocks count no more.
          const counting = s.due && ticketOpen(c) && !(s.target === "first_response" && c.first_response_at);
          return (
            <Fragment key={s.target}>
              <dt>{targetName(s.target)}</dt>
              <dd>
                <span className={`sla-state sla-state-${s.state}`}>{STATE_WORDS[s.state]}</span>
                {s.due ? (
                  <>
                    {" "}
                    · due <time dateTime={s.due}>{dateTime(s.due)}</time>
                    {counting ? ` (${countdown(Date.parse(s.due) - now)})` : null}
                  </>
                ) : null}
                {s.target === "first_response" && c.first_response_at ? (
                  <span className="hint sla-detail">
                    Answered <time dateTime={c.first_response_at}>{dateTime(c.first_response_at)}</time>,{" "}
                    {duration(Date.parse(c.first_response_at) - Date.parse(c.created_at))} after the ticket opened
                  </span>
                ) : null}
                {s.target === "next_response" && (s.missedEarlier || !s.due) ? <span className="hint sla-detail">A customer's message was answered late.</span> : null}
                {s.state === "stopped" ? <span className="hint sla-detail">The ticket closed before it fell due.</span> : null}
              </dd>
            </Fragment>
          );
        })}
      </dl>
    </section>
  );
}
