// The list column: cards of conversations, newest activity first, with loading, empty
// and error states and paging.
import type { ReactNode } from "react";
import type { Conversation } from "../api/types";
import { Empty, ErrorText, Loading } from "../components/Feedback";
import type { LiveList } from "../lib/live";
import { shortWhen } from "../lib/format";
import { Link } from "../router";
import { useWorkspace } from "../workspace";
import { displayName, initials, memberName } from "./ConversationPane";

export function Pill({ value }: { value: string }) {
  return <span className={`pill pill-${value}`}>{value}</span>;
}

function Card({ c, href, active }: { c: Conversation; href: string; active: boolean }) {
  const w = useWorkspace();
  const name = displayName(c);
  const assignee = memberName(w, c.assignee_id);
  return (
    <li>
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
                <span className="card-meta">1 recipient</span>
              </>
            ) : (
              <>
                <Pill value={c.state} />
                <span className="card-meta">{assignee ?? (c.assignee_id ? "Assigned" : "Unassigned")}</span>
              </>
            )}
            {c.unread ? (
              <span className="badge badge-unread" aria-label="Unread">
                New
              </span>
            ) : null}
          </span>
        </span>
      </Link>
    </li>
  );
}

export function ConversationList({
  list,
  hrefOf,
  activeId,
  label,
  emptyTitle,
  emptyBody,
  sort,
}: {
  list: LiveList;
  hrefOf: (c: Conversation) => string;
  activeId?: string;
  label: string;
  emptyTitle: string;
  emptyBody?: ReactNode;
  sort?: (a: Conversation, b: Conversation) => number;
}) {
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
            <Card key={c.id} c={c} href={hrefOf(c)} active={c.id === activeId} />
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
