// The Team Inbox: the tickets queue with its filters, the ticket's thread, and the
// contact panel.
import { useEffect, useState } from "react";
import { Empty } from "../components/Feedback";
import type { ListFilter } from "../lib/conversations";
import { useConversationList, useCounts } from "../lib/live";
import { navigate, useLocation, withQuery } from "../router";
import { useWorkspace } from "../workspace";
import { ConversationList } from "./ConversationList";
import { ConversationPane } from "./ConversationPane";

const STATES = [
  { value: "", label: "All" },
  { value: "queued", label: "Queued" },
  { value: "active", label: "Active" },
  { value: "pending", label: "Pending" },
  { value: "resolved", label: "Resolved" },
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
  const { search } = useLocation();
  const state = search.get("state") ?? "";
  const assignee = search.get("assignee") ?? "";
  const connection = search.get("connection") ?? "";
  const q = search.get("q") ?? "";
  const [typed, setTyped] = useState(q);
  const [contactOpen, setContactOpen] = useState(wide);
  const counts = useCounts("ticket");

  const filter: ListFilter = { kind: "ticket", state: state || undefined, assignee: assignee || undefined, connection: connection || undefined, q: q || undefined };
  const list = useConversationList(filter);
  const query = { state, assignee, connection, q };
  const base = `/w/${w.slug}/inbox`;
  const go = (patch: Partial<typeof query>) => navigate(withQuery(conversation ? `${base}/${conversation}` : base, { ...query, ...patch }), { replace: true });

  // Searching as one types, once typing pauses.
  useEffect(() => {
    if (typed === q) return;
    const t = setTimeout(() => go({ q: typed.trim() }), 300);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);

  const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : undefined;

  return (
    <div className={`columns columns-inbox${conversation ? " has-selection" : ""}`}>
      <section className="pane pane-list" aria-label="Tickets">
        <div className="pane-head">
          <h1>Team Inbox</h1>
        </div>
        <div className="filters">
          <div className="tabs" role="group" aria-label="Status">
            {STATES.map((s) => {
              const n = s.value ? counts?.[s.value] : total;
              return (
                <button key={s.value} type="button" className={`tab${state === s.value ? " active" : ""}`} aria-pressed={state === s.value} onClick={() => go({ state: s.value })}>
                  {s.label}
                  {n !== undefined ? <span className="count">{n}</span> : null}
                </button>
              );
            })}
          </div>
          <div className="tabs tabs-small" role="group" aria-label="Assigned to">
            {ASSIGNEES.map((a) => (
              <button key={a.value} type="button" className={`tab${assignee === a.value ? " active" : ""}`} aria-pressed={assignee === a.value} onClick={() => go({ assignee: a.value })}>
                {a.label}
              </button>
            ))}
          </div>
          <div className="filter-row">
            <label className="sr-only" htmlFor="inbox-search">
              Search tickets
            </label>
            <input id="inbox-search" type="search" placeholder="Search name, number or message" value={typed} onChange={(e) => setTyped(e.target.value)} />
            {w.connections ? (
              <>
                <label className="sr-only" htmlFor="inbox-channel">
                  Channel
                </label>
                <select id="inbox-channel" value={connection} onChange={(e) => go({ connection: e.target.value })}>
                  <option value="">All channels</option>
                  {w.connections.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.display_name}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
          </div>
        </div>
        <div className="pane-scroll">
          <ConversationList
            list={list}
            label="Tickets"
            activeId={conversation}
            hrefOf={(c) => withQuery(`${base}/${c.id}`, query)}
            emptyTitle={q || state || assignee || connection ? "No tickets match" : "No tickets yet"}
            emptyBody={
              q || state || assignee || connection ? (
                <button type="button" className="btn" onClick={() => go({ state: "", assignee: "", connection: "", q: "" })}>
                  Clear filters
                </button>
              ) : (
                "New customers who write in appear here."
              )
            }
          />
        </div>
      </section>
      {conversation ? (
        <ConversationPane id={conversation} onChanged={list.put} contactOpen={contactOpen} onToggleContact={() => setContactOpen((o) => !o)} />
      ) : (
        <section className="pane pane-thread pane-placeholder" aria-label="Conversation">
          <Empty title="Pick a ticket">Choose a ticket from the list to read and answer it.</Empty>
        </section>
      )}
    </div>
  );
}
