// The Team Inbox: the tickets queue with its filters (and, for managers and admins,
// tickets picked to assign together), the ticket's thread, and the contact panel.
import { useState } from "react";
import { Empty } from "../components/Feedback";
import { useConversationList, useCounts } from "../lib/live";
import { useTagsInUse } from "../lib/tags";
import { useTeams } from "../lib/teams";
import { navigate } from "../router";
import { useWorkspace } from "../workspace";
import { BulkAssignBar, useTicketSelection } from "./BulkAssign";
import { ConnectionFilter, DateRangeFilter, ListPane, SearchBox, TagFilter, TeamFilter, useListQuery } from "./ConversationList";
import { ConversationPane, ThreadPlaceholder } from "./ConversationPane";

const STATES = [
  { value: "", label: "All" },
  { value: "queued", label: "Queued" },
  { value: "active", label: "Active" },
  { value: "pending", label: "Pending" },
  { value: "resolved", label: "Resolved" },
  // Closed by the auto-close rules after waiting in the queue with no one taking them.
  { value: "abandoned", label: "Abandoned" },
];

const ASSIGNEES = [
  { value: "", label: "All" },
  { value: "me", label: "Mine" },
  { value: "unassigned", label: "Unassigned" },
];

function wide(): boolean {
  return typeof window.matchMedia === "function" ? window.matchMedia("(min-width: 1280px)").matches : true;
}

export function InboxView({ conversation }: { conversation?: string }) {
  const w = useWorkspace();
  const lq = useListQuery(`/w/${w.slug}/inbox`, conversation, ["state", "assignee", "team", "connection", "tag", "label", "sla", "from", "to"] as const);
  const { state, assignee, team, connection, tag, label, from, to, q } = lq.query;
  // Only tickets that missed a target: sla=breached, the one value the server takes.
  const missedOnly = lq.query.sla === "breached";
  const [contactOpen, setContactOpen] = useState(wide);
  // The counts of the team the list shows.
  const counts = useCounts("ticket", team || undefined);
  const known = useTagsInUse();
  const teams = useTeams();
  const list = useConversationList({
    kind: "ticket",
    state: state || undefined,
    assignee: assignee || undefined,
    team: team || undefined,
    connection: connection || undefined,
    tag: tag || undefined,
    label: label || undefined,
    sla: missedOnly ? "breached" : undefined,
    from: from || undefined,
    to: to || undefined,
    q: q || undefined,
  });
  const assigns = w.can("conversations:assign");
  const selection = useTicketSelection(list.items);
  const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : undefined;
  const filtered = !!(q || state || assignee || team || connection || tag || label || missedOnly || from || to);

  return (
    <div className={`columns columns-inbox${conversation ? " has-selection" : ""}`}>
      <ListPane
        title="Team Inbox"
        list={list}
        label="Tickets"
        activeId={conversation}
        hrefOf={lq.hrefOf}
        teams={teams}
        selection={assigns ? selection : undefined}
        toolbar={assigns ? <BulkAssignBar listed={list.items} selection={selection} teams={teams ?? []} onAssigned={() => void list.reload()} /> : null}
        emptyTitle={filtered ? "No tickets match" : "No tickets yet"}
        emptyBody={
          filtered ? (
            <button
              type="button"
              className="btn"
              onClick={() => lq.go({ state: "", assignee: "", team: "", connection: "", tag: "", label: "", sla: "", from: "", to: "", q: "" })}
            >
              Clear filters
            </button>
          ) : (
            "New customers who write in appear here."
          )
        }
        filters={
          <>
            <div className="tabs" role="group" aria-label="Status">
              {STATES.map((s) => {
                const n = s.value ? counts?.[s.value] : total;
                return (
                  <button key={s.value} type="button" className={`tab${state === s.value ? " active" : ""}`} aria-pressed={state === s.value} onClick={() => lq.go({ state: s.value })}>
                    {s.label}
                    {n !== undefined ? <span className="count">{n}</span> : null}
                  </button>
                );
              })}
            </div>
            <div className="tabs-line">
              <div className="tabs tabs-small" role="group" aria-label="Assigned to">
                {ASSIGNEES.map((a) => (
                  <button key={a.value} type="button" className={`tab${assignee === a.value ? " active" : ""}`} aria-pressed={assignee === a.value} onClick={() => lq.go({ assignee: a.value })}>
                    {a.label}
                  </button>
                ))}
              </div>
              <button
                type="button"
                className={`tab tab-sla${missedOnly ? " active" : ""}`}
                aria-pressed={missedOnly}
                title="Only tickets that missed an SLA target: first response, next response or resolution"
                onClick={() => lq.go({ sla: missedOnly ? "" : "breached" })}
              >
                SLA missed
              </button>
            </div>
            <div className="filter-row">
              <SearchBox id="inbox-search" label="Search tickets" placeholder="Search name, number or message" value={lq.typed} onChange={lq.setTyped} />
              <TeamFilter id="inbox-team" teams={teams} value={team} onChange={(v) => lq.go({ team: v })} />
              {w.connections ? (
                <ConnectionFilter id="inbox-channel" label="Channel" all="All channels" connections={w.connections} value={connection} onChange={(v) => lq.go({ connection: v })} />
              ) : null}
              <TagFilter id="inbox-label" label="Label" all="All labels" names={known?.labels} value={label} onChange={(v) => lq.go({ label: v })} />
              <TagFilter id="inbox-tag" label="Tag" all="All tags" names={known?.tags} value={tag} onChange={(v) => lq.go({ tag: v })} />
            </div>
            <DateRangeFilter from={from} to={to} error={list.error} onChange={(range) => lq.go(range)} />
          </>
        }
      />
      {conversation ? (
        <ConversationPane
          key={conversation}
          id={conversation}
          onChanged={list.put}
          contactOpen={contactOpen}
          onToggleContact={() => setContactOpen((o) => !o)}
          onClose={() => navigate(lq.hrefWith({}))}
        />
      ) : (
        <ThreadPlaceholder>
          <Empty title="Pick a ticket">Choose a ticket from the list to read and answer it.</Empty>
        </ThreadPlaceholder>
      )}
    </div>
  );
}
