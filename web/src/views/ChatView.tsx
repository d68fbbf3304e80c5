// Chat, the 1:1 view of managers and admins: the left rail of filters with live counts
// and the compose button, the list of conversations, and the open conversation.
import { useEffect, useState, type FormEvent } from "react";
import { call } from "../api/client";
import type { Conversation, MessageRequest } from "../api/types";
import { MAX_TEXT } from "../components/Composer";
import { Dialog } from "../components/Dialog";
import { Empty, ErrorText, fieldError } from "../components/Feedback";
import { Field } from "../components/Field";
import { PlusIcon } from "../components/Icons";
import { byActivity, type ListFilter } from "../lib/conversations";
import { useConversationList, useCounts } from "../lib/live";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useWorkspace } from "../workspace";
import { ConversationList } from "./ConversationList";
import { ConversationPane, displayName } from "./ConversationPane";

export const CHAT_VIEWS = [
  { value: "all", label: "All" },
  { value: "scheduled", label: "Scheduled" },
  { value: "archived", label: "Archived" },
  { value: "sent", label: "Sent" },
  { value: "pending", label: "Pending" },
  { value: "failed", label: "Failed" },
] as const;

function filterOf(view: string, connection: string, q: string): ListFilter {
  const f: ListFilter = { kind: "chat", connection: connection || undefined, q: q || undefined };
  if (view === "archived") f.archived = true;
  else if (view !== "all") f.pill = view;
  return f;
}

const SORTS: Record<string, { label: string; fn: (a: Conversation, b: Conversation) => number }> = {
  newest: { label: "Newest", fn: byActivity },
  oldest: { label: "Oldest", fn: (a, b) => -byActivity(a, b) },
  az: { label: "A–Z", fn: (a, b) => displayName(a).localeCompare(displayName(b)) },
  za: { label: "Z–A", fn: (a, b) => displayName(b).localeCompare(displayName(a)) },
};

/** A time for datetime-local, at least a minute and a bit from now, in local time. */
function soon(): string {
  const d = new Date(Date.now() + 5 * 60 * 1000);
  d.setSeconds(0, 0);
  const off = d.getTimezoneOffset();
  return new Date(d.getTime() - off * 60 * 1000).toISOString().slice(0, 16);
}

export function ComposeDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (c: Conversation) => void }) {
  const w = useWorkspace();
  const conns = (w.connections ?? []).filter((c) => c.status !== "disabled");
  const [form, setForm] = useState({ connection_id: conns[0]?.id ?? "", to: "", name: "", title: "", text: "" });
  const [schedule, setSchedule] = useState(false);
  // A business-initiated WhatsApp message needs an approved template: the customer's
  // 24-hour window is closed until they write.
  const [asTemplate, setAsTemplate] = useState(false);
  const [tpl, setTpl] = useState({ name: "", language: "en_US", params: "" });
  const conn = conns.find((c) => c.id === form.connection_id);
  const windowed = conn ? conn.kind === "whatsapp" && conn.engine !== "unofficial" : false;
  const [at, setAt] = useState(soon);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const template = asTemplate && windowed;
      const message: MessageRequest = template
        ? {
            type: "template",
            text: "",
            template: {
              name: tpl.name.trim(),
              language: tpl.language.trim(),
              body: tpl.params.split(",").map((p) => p.trim()).filter(Boolean),
            },
          }
        : { type: "text", text: form.text };
      if (schedule) message.schedule_at = new Date(at).toISOString();
      const r = await call("post", "/api/v1/workspaces/{workspace}/conversations", {
        path: { workspace: w.slug },
        body: {
          connection_id: form.connection_id,
          to: form.to.trim(),
          name: form.name.trim() || undefined,
          title: form.title.trim() || undefined,
          message: template || form.text.trim() ? message : undefined,
        },
      });
      onCreated(r.conversation);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (w.connections && conns.length === 0) {
    return (
      <Dialog title="New conversation" onClose={onClose}>
        <Empty title="No number to send from">
          {w.can("channels:manage") ? <Link href={`/w/${w.slug}/settings/connections`}>Connect a channel first</Link> : "An admin has to connect a channel first."}
        </Empty>
      </Dialog>
    );
  }

  return (
    <Dialog title="New conversation" onClose={onClose} wide>
      <form onSubmit={submit} noValidate className="compose">
        {w.connections ? (
          <Field label="From" hint="The number (connection) the message goes out from." error={fieldError(error, "connection_id")}>
            <select value={form.connection_id} onChange={set("connection_id")} required>
              {conns.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.display_name} · {c.address}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label="From (connection id)" error={fieldError(error, "connection_id")}>
            <input value={form.connection_id} onChange={set("connection_id")} required />
          </Field>
        )}
        <Field label="To" hint="Phone number with its country code, e.g. +44 20 7946 0958." error={fieldError(error, "to")}>
          <input value={form.to} onChange={set("to")} required autoComplete="off" inputMode="tel" autoFocus />
        </Field>
        <div className="row">
          <Field label="Contact name" hint="For a new contact." error={fieldError(error, "name")}>
            <input value={form.name} onChange={set("name")} autoComplete="off" />
          </Field>
          <Field label="Title" hint="Shown in the list; the contact's name when empty." error={fieldError(error, "title")}>
            <input value={form.title} onChange={set("title")} autoComplete="off" />
          </Field>
        </div>
        {windowed ? (
          <label className="check">
            <input type="checkbox" checked={asTemplate} onChange={(e) => setAsTemplate(e.target.checked)} /> Send an approved template (needed unless the
            customer wrote in the last 24 hours)
          </label>
        ) : null}
        {windowed && asTemplate ? (
          <div className="row">
            <Field label="Template name" error={fieldError(error, "message.template.name")}>
              <input value={tpl.name} onChange={(e) => setTpl((t) => ({ ...t, name: e.target.value }))} required autoComplete="off" />
            </Field>
            <Field label="Language" error={fieldError(error, "message.template.language")}>
              <input value={tpl.language} onChange={(e) => setTpl((t) => ({ ...t, language: e.target.value }))} required autoComplete="off" />
            </Field>
            <Field label="Parameters" hint="{{1}}, {{2}} … in order, separated by commas.">
              <input value={tpl.params} onChange={(e) => setTpl((t) => ({ ...t, params: e.target.value }))} autoComplete="off" />
            </Field>
          </div>
        ) : (
          <>
            <Field label="First message" error={fieldError(error, "message.text") ?? fieldError(error, "message.type")}>
              <textarea value={form.text} onChange={set("text")} rows={4} maxLength={MAX_TEXT} />
            </Field>
            <p className="hint">{form.text.length}/{MAX_TEXT}</p>
          </>
        )}
        <p className="hint">Sending now takes a credit from the wallet; a scheduled message takes it when it goes out.</p>
        <label className="check">
          <input type="checkbox" checked={schedule} onChange={(e) => setSchedule(e.target.checked)} /> Schedule for later
        </label>
        {schedule ? (
          <Field label="Send at" hint={`Your time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone}); at least a minute from now.`} error={fieldError(error, "message.schedule_at")}>
            <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} required />
          </Field>
        ) : null}
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {schedule ? "Schedule" : (asTemplate && windowed) || form.text.trim() ? "Send" : "Open conversation"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function ChatView({ conversation }: { conversation?: string }) {
  const w = useWorkspace();
  const { search } = useLocation();
  const view = search.get("view") ?? "all";
  const connection = search.get("connection") ?? "";
  const q = search.get("q") ?? "";
  const sort = search.get("sort") ?? "newest";
  const [typed, setTyped] = useState(q);
  const [composing, setComposing] = useState(false);
  const counts = useCounts("chat");
  const list = useConversationList(filterOf(view, connection, q));
  const base = `/w/${w.slug}/chat`;
  const query = { view: view === "all" ? "" : view, connection, q, sort: sort === "newest" ? "" : sort };
  const go = (patch: Partial<typeof query>) => navigate(withQuery(conversation ? `${base}/${conversation}` : base, { ...query, ...patch }), { replace: true });

  useEffect(() => {
    if (typed === q) return;
    const t = setTimeout(() => go({ q: typed.trim() }), 300);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);

  return (
    <div className={`columns columns-chat${conversation ? " has-selection" : ""}`}>
      <nav className="pane pane-rail" aria-label="Chat filters">
        {w.can("chat:send") ? (
          <button type="button" className="btn btn-primary btn-block" onClick={() => setComposing(true)}>
            <PlusIcon /> New conversation
          </button>
        ) : null}
        <ul className="rail">
          {CHAT_VIEWS.map((v) => (
            <li key={v.value}>
              <Link
                href={withQuery(base, { ...query, view: v.value === "all" ? "" : v.value })}
                replace
                className={`rail-item${view === v.value ? " active" : ""}`}
                aria-current={view === v.value ? "page" : undefined}
                data-view={v.value}
              >
                <span>{v.label}</span>
                <span className="count" aria-label={`${counts?.[v.value] ?? 0} conversations`}>
                  {counts ? (counts[v.value] ?? 0) : "–"}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <section className="pane pane-list" aria-label="Conversations">
        <div className="pane-head">
          <h1>Chat</h1>
        </div>
        <div className="filters">
          <div className="filter-row">
            <label className="sr-only" htmlFor="chat-search">
              Search conversations
            </label>
            <input id="chat-search" type="search" placeholder="Search title or message" value={typed} onChange={(e) => setTyped(e.target.value)} />
          </div>
          <div className="filter-row">
            {w.connections && w.connections.length > 1 ? (
              <>
                <label className="sr-only" htmlFor="chat-number">
                  Number
                </label>
                <select id="chat-number" value={connection} onChange={(e) => go({ connection: e.target.value })}>
                  <option value="">All numbers</option>
                  {w.connections.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.display_name} · {c.address}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
            <label className="sr-only" htmlFor="chat-sort">
              Sort
            </label>
            <select id="chat-sort" value={sort} onChange={(e) => go({ sort: e.target.value === "newest" ? "" : e.target.value })}>
              {Object.entries(SORTS).map(([k, s]) => (
                <option key={k} value={k}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="pane-scroll">
          <ConversationList
            list={list}
            label="Conversations"
            activeId={conversation}
            sort={SORTS[sort]?.fn}
            hrefOf={(c) => withQuery(`${base}/${c.id}`, query)}
            emptyTitle={q || connection || view !== "all" ? "Nothing here" : "No conversations yet"}
            emptyBody={w.can("chat:send") && view === "all" && !q ? "Start one with New conversation." : undefined}
          />
        </div>
      </section>
      {conversation ? (
        <ConversationPane id={conversation} onChanged={list.put} />
      ) : (
        <section className="pane pane-thread pane-placeholder" aria-label="Conversation">
          <Empty title="Pick a conversation">Choose one from the list, or start a new one.</Empty>
        </section>
      )}
      {composing ? (
        <ComposeDialog
          onClose={() => setComposing(false)}
          onCreated={(c) => {
            setComposing(false);
            void list.reload();
            navigate(withQuery(`${base}/${c.id}`, query));
          }}
        />
      ) : null}
    </div>
  );
}
