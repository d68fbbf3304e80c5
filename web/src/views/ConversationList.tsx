// The list column: cards of conversations, newest activity first, with loading, empty
// and error states and paging.
import { useEffect, useId, useState, type ReactNode } from "react";
import type { Connection, Conversation, TagCount, Team } from "../api/types";
import { Empty, ErrorText, fieldError, Loading } from "../components/Feedback";
import { SlaChip } from "../components/Sla";
import type { LiveList } from "../lib/live";
import { shortWhen } from "../lib/format";
import { GENERAL_QUEUE, teamOf } from "../lib/teams";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useWorkspace } from "../workspace";
import { displayName, initials, memberName } from "./ConversationPane";
import { CardTags } from "./ConversationTags";

export function Pill({ value }: { value: string }) {
  return <span className={`pill pill-${value}`}>{value}</span>;
}

/** Tickets picked in a list to act on together (the Team Inbox's bulk assignment). */
export interface Selection {
  has: (id: string) => boolean;
  toggle: (c: Conversation) => void;
}

function Card({ c, href, active, teams, selection }: { c: Conversation; href: string; active: boolean; teams?: Team[]; selection?: Selection }) {
  const w = useWorkspace();
  const name = displayName(c);
  const assignee = memberName(w, c.assignee_id);
  const team = teamOf(teams, c.team_id);
  return (
    <li className={selection ? "card-row" : undefined}>
      {/* Beside the link, not in it: a box inside a link would open the ticket as it is ticked. */}
      {selection ? <input type="checkbox" className="card-select" aria-label={`Select ${name}`} checked={selection.has(c.id)} onChange={() => selection.toggle(c)} /> : null}
      <Link
        href={href}
        className={`card${active ? " active" : ""}${c.unread ? " unread" : ""}`}
        aria-current={active ? "true" : undefined}
        data-conversation-id={c.id}
      >
        <span className="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <span className="card-main">
          <span className="card-top">
            <span className="card-title">{name}</span>
            <time className="card-time" dateTime={c.last_activity_at}>
              {shortWhen(c.last_activity_at)}
            </time>
          </span>
          <span className="card-preview">{c.last_message_preview || "No messages yet"}</span>
          <span className="card-bottom">
            {c.kind === "chat" ? (
              <>
                <Pill value={c.pill} />
                <span className="card-meta">{c.recipients === 1 ? "1 recipient" : `${c.recipients} recipients`}</span>
              </>
            ) : (
              <>
                <Pill value={c.state} />
                <span className="card-meta">{assignee ?? (c.assignee_id ? "Assigned" : "Unassigned")}</span>
                {team ? (
                  <span className="team-badge" title="The team whose queue the ticket is in">
                    {team.name}
                  </span>
                ) : null}
                <SlaChip c={c} />
              </>
            )}
            {c.unread ? (
              <span className="badge badge-unread" aria-label="Unread">
                New
              </span>
            ) : null}
          </span>
          <CardTags c={c} />
        </span>
      </Link>
    </li>
  );
}

interface ListProps {
  list: LiveList;
  hrefOf: (c: Conversation) => string;
  activeId?: string;
  label: string;
  emptyTitle: string;
  emptyBody?: ReactNode;
  sort?: (a: Conversation, b: Conversation) => number;
  /** the workspace's teams, to name a ticket's on its card */
  teams?: Team[];
  /** the cards' boxes to pick tickets with, when the member may act on several */
  selection?: Selection;
}

export function ConversationList({ list, hrefOf, activeId, label, emptyTitle, emptyBody, sort, teams, selection }: ListProps) {
  const items = sort ? [...list.items].sort(sort) : list.items;
  if (list.loading && items.length === 0) return <Loading label="Loading conversations…" />;
  return (
    <>
      <ErrorText error={list.error} />
      {items.length === 0 && !list.error ? (
        <Empty title={emptyTitle}>{emptyBody}</Empty>
      ) : (
        <ul className="cards" aria-label={label}>
          {items.map((c) => (
            <Card key={c.id} c={c} href={hrefOf(c)} active={c.id === activeId} teams={teams} selection={selection} />
          ))}
        </ul>
      )}
      {list.more ? (
        <button type="button" className="btn btn-block" disabled={list.loading} onClick={() => void list.loadMore()}>
          Load more
        </button>
      ) : null}
    </>
  );
}

/** The list column of Chat and the Team Inbox: its title, its filters, what may be done with the tickets picked (toolbar) and the list. */
export function ListPane({ title, filters, toolbar, ...props }: ListProps & { title: string; filters: ReactNode; toolbar?: ReactNode }) {
  return (
    <section className="pane pane-list" aria-label={props.label}>
      <div className="pane-head">
        <h1>{title}</h1>
      </div>
      <div className="filters">{filters}</div>
      {toolbar}
      <div className="pane-scroll">
        <ConversationList {...props} />
      </div>
    </section>
  );
}

/**
 * A list view's filters, kept in the URL's query (keys, and q for the search); the
 * search box's text goes in as q once typing pauses.
 */
export function useListQuery<K extends string>(base: string, conversation: string | undefined, keys: readonly K[]) {
  const { search } = useLocation();
  const query = {} as Record<K | "q", string>;
  for (const k of [...keys, "q" as const]) query[k] = search.get(k) ?? "";
  const [typed, setTyped] = useState(query.q);
  const go = (patch: Partial<Record<K | "q", string>>) =>
    navigate(withQuery(conversation ? `${base}/${conversation}` : base, { ...query, ...patch }), { replace: true });

  useEffect(() => {
    if (typed === query.q) return;
    const t = setTimeout(() => go({ q: typed.trim() } as Partial<Record<K | "q", string>>), 300);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);

  return {
    query,
    go,
    typed,
    setTyped,
    /** the list with other filters */
    hrefWith: (patch: Partial<Record<K | "q", string>>) => withQuery(base, { ...query, ...patch }),
    /** a conversation, the filters kept */
    hrefOf: (c: { id: string }) => withQuery(`${base}/${c.id}`, query),
  };
}

/** The search box of a list. */
export function SearchBox({ id, label, placeholder, value, onChange }: { id: string; label: string; placeholder: string; value: string; onChange: (v: string) => void }) {
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        {label}
      </label>
      <input id={id} type="search" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </>
  );
}

/** The options of a choice of connection: its name, and its address where asked. */
export function ConnectionOptions({ connections, address }: { connections: Connection[]; address?: boolean }) {
  return (
    <>
      {connections.map((c) => (
        <option key={c.id} value={c.id}>
          {c.display_name}
          {address ? ` · ${c.address}` : ""}
        </option>
      ))}
    </>
  );
}

/** A list's filter by connection (number or channel). */
export function ConnectionFilter({
  id,
  label,
  all,
  connections,
  value,
  onChange,
  address,
}: {
  id: string;
  label: string;
  /** the option for no filter */
  all: string;
  connections: Connection[];
  value: string;
  onChange: (v: string) => void;
  address?: boolean;
}) {
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        {label}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        <ConnectionOptions connections={connections} address={address} />
      </select>
    </>
  );
}

/**
 * A list's filter by a tag or label, from the names in use; one picked stays offered
 * after the last conversation lost it. With no names to offer, none is shown.
 */
export function TagFilter({
  id,
  label,
  all,
  names,
  value,
  onChange,
}: {
  id: string;
  label: string;
  /** the option for no filter */
  all: string;
  names: TagCount[] | undefined;
  value: string;
  onChange: (v: string) => void;
}) {
  const options = (names ?? []).map((n) => n.name);
  if (value && !options.some((o) => o.toLowerCase() === value.toLowerCase())) options.unshift(value);
  if (options.length === 0) return null;
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        {label}
      </label>
      <select id={id} value={options.find((o) => o.toLowerCase() === value.toLowerCase()) ?? ""} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </>
  );
}

/**
 * The Team Inbox's filter by team: all tickets, those of the general queue (no team),
 * or one team's. Shown once there are teams, or while the URL names one.
 */
export function TeamFilter({ id, teams, value, onChange }: { id: string; teams: Team[] | undefined; value: string; onChange: (v: string) => void }) {
  if (!teams?.length && !value) return null;
  const known = value === "" || value === GENERAL_QUEUE || teams?.some((t) => t.id === value);
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        Team
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All teams</option>
        <option value={GENERAL_QUEUE}>General queue</option>
        {(teams ?? []).map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
        {/* A team deleted since the link was made, or the teams still loading: still the filter in use. */}
        {known ? null : <option value={value}>{teams ? "A team no longer listed" : "A team"}</option>}
      </select>
    </>
  );
}

/**
 * A list's filter by when conversations were last active: two days, each optional
 * (YYYY-MM-DD, which the server reads in the workspace's time zone, the last day
 * whole), with the server's refusal of either under them (error: the list's).
 */
export function DateRangeFilter({ from, to, error, onChange }: { from: string; to: string; error: unknown; onChange: (range: { from?: string; to?: string }) => void }) {
  const id = useId();
  const refused = [fieldError(error, "from"), fieldError(error, "to")];
  const said = refused.filter(Boolean).join("; ");
  const errorId = `${id}-error`;
  return (
    <div className="date-range" role="group" aria-label="Last active">
      <label htmlFor={`${id}-from`}>
        <span className="sr-only">Active </span>
        <span className="date-range-word">from</span>
      </label>
      <input
        id={`${id}-from`}
        type="date"
        value={from}
        max={to || undefined}
        aria-invalid={refused[0] ? true : undefined}
        aria-describedby={refused[0] ? errorId : undefined}
        onChange={(e) => onChange({ from: e.target.value })}
      />
      <label htmlFor={`${id}-to`}>
        <span className="sr-only">Active </span>
        <span className="date-range-word">to</span>
      </label>
      <input
        id={`${id}-to`}
        type="date"
        value={to}
        min={from || undefined}
        aria-invalid={refused[1] ? true : undefined}
        aria-describedby={refused[1] ? errorId : undefined}
        onChange={(e) => onChange({ to: e.target.value })}
      />
      {said ? (
        <p className="field-error" id={errorId}>
          {said}
        </p>
      ) : null}
    </div>
  );
}
