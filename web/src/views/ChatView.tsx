// Chat, the 1:1 view of managers and admins: the left rail of filters with live counts
// and the compose button, the list of conversations, and the open conversation.
import { useEffect, useState } from "react";
import { call } from "../api/client";
import type { Contact, Conversation, MessageRequest } from "../api/types";
import { MAX_TEXT } from "../components/Composer";
import { Dialog, DialogActions } from "../components/Dialog";
import { Empty, fieldError, listFieldErrors } from "../components/Feedback";
import { Field } from "../components/Field";
import { PlusIcon } from "../components/Icons";
import { TemplateFields, useTemplateChoice } from "../components/TemplatePicker";
import { byActivity, byTitle, type ListFilter } from "../lib/conversations";
import { textLength } from "../lib/editing";
import { localInput } from "../lib/format";
import { useConversationList, useCounts } from "../lib/live";
import { useAction, useFormValues } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { Link, navigate } from "../router";
import { useWorkspace } from "../workspace";
import { ConnectionFilter, ConnectionOptions, DateRangeFilter, ListPane, SearchBox, useListQuery } from "./ConversationList";
import { ConversationPane, ThreadPlaceholder } from "./ConversationPane";

export const CHAT_VIEWS = [
  { value: "all", label: "All" },
  { value: "scheduled", label: "Scheduled" },
  { value: "archived", label: "Archived" },
  { value: "sent", label: "Sent" },
  { value: "pending", label: "Pending" },
  { value: "failed", label: "Failed" },
] as const;

/** Template categories as the provider names them, in the order the rail lists them. */
const TEMPLATE_CATEGORIES = [
  { value: "marketing", label: "Marketing" },
  { value: "utility", label: "Utility" },
  { value: "authentication", label: "Authentication" },
] as const;

/**
 * The approved templates Chat can send from the member's numbers, by category: what a
 * conversation outside the 24-hour window can start with. Nothing shows on channels
 * without templates.
 */
function TemplateCounts() {
  const w = useWorkspace();
  const counts = useAsync(
    (signal) => (w.can("templates:read") ? call("get", "/api/v1/workspaces/{workspace}/template-counts", { path: { workspace: w.slug }, signal }) : Promise.resolve(null)),
    [w.slug],
  );
  const n = counts.data;
  if (!n || (n.marketing + n.utility + n.authentication === 0 && n.unavailable.length === 0)) return null;
  return (
    <section aria-label="Approved templates">
      <h2 className="rail-title">Approved templates</h2>
      <ul className="rail">
        {TEMPLATE_CATEGORIES.map((c) => (
          <li key={c.value} className="rail-item" data-category={c.value}>
            <span>{c.label}</span>
            <span className="count" aria-label={`${n[c.value]} ${c.label.toLowerCase()} templates`}>
              {n[c.value]}
            </span>
          </li>
        ))}
      </ul>
      {n.unavailable.length ? <p className="hint">Not counted: {n.unavailable.join(", ")} did not answer just now.</p> : null}
    </section>
  );
}

function filterOf(view: string, connection: string, q: string, sort: string, from: string, to: string): ListFilter {
  const f: ListFilter = {
    kind: "chat",
    connection: connection || undefined,
    q: q || undefined,
    sort: sort === "newest" ? undefined : sort,
    from: from || undefined,
    to: to || undefined,
  };
  if (view === "archived") f.archived = true;
  else if (view !== "all") f.pill = view;
  return f;
}

const SORTS: Record<string, { label: string; fn: (a: Conversation, b: Conversation) => number }> = {
  newest: { label: "Newest", fn: byActivity },
  oldest: { label: "Oldest", fn: (a, b) => -byActivity(a, b) },
  az: { label: "A–Z", fn: byTitle },
  za: { label: "Z–A", fn: (a, b) => -byTitle(a, b) },
};

/** The numbers typed into To: split at commas, semicolons and new lines, each once. */
export function parseRecipients(raw: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of raw.split(/[,;\n]+/)) {
    const v = part.trim();
    const key = v.replace(/[\s().-]/g, "");
    if (v && !seen.has(key)) {
      seen.add(key);
      out.push(v);
    }
  }
  return out;
}

/**
 * Contacts whose name, number or email starts to match what is being typed into To
 * (the text after the last separator), a pause after typing; none for fewer than two
 * characters, or for a role without contacts:read.
 */
function useContactSuggestions(to: string): Contact[] {
  const w = useWorkspace();
  const token = to.split(/[,;\n]/).pop()?.trim() ?? "";
  const [q, setQ] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(token), 200);
    return () => clearTimeout(t);
  }, [token]);
  const found = useAsync(
    (signal) =>
      q.length >= 2 && w.can("contacts:read")
        ? call("get", "/api/v1/workspaces/{workspace}/contacts", { path: { workspace: w.slug }, query: { q, limit: 5 }, signal })
        : Promise.resolve(null),
    [w.slug, q],
  );
  // What is typed already in full needs no suggestion.
  return (found.data?.items ?? []).filter((c) => c.phone !== token && c.email !== token);
}

/** A time for datetime-local, at least a minute and a bit from now, in local time. */
function soon(): string {
  return localInput(Date.now() + 5 * 60 * 1000);
}

export function ComposeDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (c: Conversation) => void }) {
  const w = useWorkspace();
  const conns = (w.connections ?? []).filter((c) => c.status !== "disabled");
  const { values: form, field, setValues } = useFormValues({ connection_id: conns[0]?.id ?? "", to: "", name: "", title: "", text: "", group_id: "" });
  const groups = useAsync(
    (signal) =>
      w.can("contacts:read") ? call("get", "/api/v1/workspaces/{workspace}/contact-groups", { path: { workspace: w.slug }, query: { limit: 200 }, signal }) : Promise.resolve(null),
    [w.slug],
  );
  const typed = parseRecipients(form.to);
  const suggestions = useContactSuggestions(form.to);
  // A suggestion replaces what is being typed (the text after the last separator).
  const pick = (c: Contact) =>
    setValues((v) => {
      const address = (conn?.kind === "email" ? c.email : conn?.kind === "messenger" ? c.messenger_id : c.phone) || c.phone || c.email;
      const cut = Math.max(v.to.lastIndexOf(","), v.to.lastIndexOf(";"), v.to.lastIndexOf("\n"));
      return { ...v, to: (cut >= 0 ? v.to.slice(0, cut + 1) + " " : "") + address };
    });
  const several = typed.length > 1 || !!form.group_id;
  const [schedule, setSchedule] = useState(false);
  // A business-initiated WhatsApp message needs an approved template: the customer's
  // 24-hour window is closed until they write.
  const [asTemplate, setAsTemplate] = useState(false);
  // WhatsApp also wants the customer's opt-in before the business writes first.
  const [consent, setConsent] = useState(false);
  const conn = conns.find((c) => c.id === form.connection_id);
  const windowed = conn ? conn.kind === "whatsapp" && conn.engine !== "unofficial" : false;
  const template = asTemplate && windowed;
  const choice = useTemplateChoice(template ? form.connection_id : undefined);
  // On a multi-device plan a send to several recipients may go out from several numbers
  // of the chosen one's channel, the recipients split between them. Offered only from
  // the list of numbers and only with several recipients: one customer is written from
  // one number.
  const [alsoFrom, setAlsoFrom] = useState<string[]>([]);
  const sameChannel = w.view.plan.features.multi_device && w.connections && conn ? conns.filter((c) => c.id !== conn.id && c.plugin === conn.plugin && c.status === "active") : [];
  const offerNumbers = several && sameChannel.length > 0;
  // The chosen number first (the conversation's), then the ticked ones in the list's
  // order. A tick left on a number of another channel (From changed) or kept while the
  // option is hidden (one recipient) is not sent.
  const numbers = offerNumbers ? [form.connection_id, ...sameChannel.filter((c) => alsoFrom.includes(c.id)).map((c) => c.id)] : [form.connection_id];
  const numberNames = numbers.map((id) => {
    const c = conns.find((x) => x.id === id);
    return c ? `${c.display_name} · ${c.address}` : id;
  });
  const [at, setAt] = useState(soon);
  const { busy, error, submit } = useAction();
  // Counted in characters as the server counts them, as the thread's composer does: an
  // emoji is one, not two. Typing is not cut short at the limit, so a pasted text can
  // be shortened where the writer chooses; the count says when it is over.
  const length = textLength(form.text);
  const tooLong = !template && length > MAX_TEXT;

  const send = submit(async () => {
    // A template's media header given as an uploaded file goes beside it, as media.
    const message: MessageRequest = template ? { type: "template", text: "", ...choice.message } : { type: "text", text: form.text };
    if (schedule) message.schedule_at = new Date(at).toISOString();
    const r = await call("post", "/api/v1/workspaces/{workspace}/conversations", {
      path: { workspace: w.slug },
      // Several numbers go as connection_ids instead of connection_id.
      body: {
        ...(numbers.length > 1 ? { connection_ids: numbers } : { connection_id: form.connection_id }),
        to: several ? undefined : form.to.trim(),
        recipients: several && typed.length > 0 ? typed : undefined,
        group_id: form.group_id || undefined,
        name: several ? undefined : form.name.trim() || undefined,
        title: form.title.trim() || undefined,
        whatsapp_consent: conn?.kind === "whatsapp" && consent ? true : undefined,
        message: template || form.text.trim() ? message : undefined,
      },
    });
    // Group members the channel cannot reach were left out: say so before moving on.
    if (r.left_out) setLeftOut({ conversation: r.conversation, n: r.left_out });
    else onCreated(r.conversation);
  });
  const [leftOut, setLeftOut] = useState<{ conversation: Conversation; n: number } | null>(null);

  if (leftOut) {
    return (
      <Dialog title="New conversation" onClose={() => onCreated(leftOut.conversation)}>
        <p role="status">
          {leftOut.n === 1 ? "1 member of the group has" : `${leftOut.n} members of the group have`} no address on this channel and{" "}
          {leftOut.n === 1 ? "was" : "were"} left out. Everyone else is in the conversation.
        </p>
        <div className="dialog-actions">
          <button type="button" className="btn btn-primary" onClick={() => onCreated(leftOut.conversation)}>
            Open conversation
          </button>
        </div>
      </Dialog>
    );
  }

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
      <form onSubmit={send} noValidate className="compose">
        {w.connections ? (
          <>
            <Field
              label="From"
              hint="The number (connection) the message goes out from."
              error={fieldError(error, "connection_id") ?? listFieldErrors(error, "connection_ids", numberNames, "Number")}
            >
              <select {...field("connection_id")} required>
                <ConnectionOptions connections={conns} address />
              </select>
            </Field>
            {offerNumbers ? (
              <fieldset>
                <legend>Also send from</legend>
                <p className="hint">The recipients are split evenly between the numbers; each customer is written from theirs, and their replies come back on it.</p>
                {sameChannel.map((c) => (
                  <label key={c.id} className="check">
                    <input
                      type="checkbox"
                      checked={alsoFrom.includes(c.id)}
                      onChange={(e) => setAlsoFrom((ids) => (e.target.checked ? [...ids, c.id] : ids.filter((id) => id !== c.id)))}
                    />{" "}
                    {c.display_name} · {c.address}
                  </label>
                ))}
              </fieldset>
            ) : null}
          </>
        ) : (
          <Field label="From (connection id)" error={fieldError(error, "connection_id")}>
            <input {...field("connection_id")} required />
          </Field>
        )}
        <Field
          label="To"
          hint="Phone number with its country code, e.g. +44 20 7946 0958. Several: separate them with commas or new lines; each gets their own copy."
          error={fieldError(error, "to") ?? listFieldErrors(error, "recipients", typed, "Recipient")}
        >
          <textarea {...field("to")} rows={typed.length > 1 ? 3 : 1} autoComplete="off" inputMode="tel" autoFocus />
        </Field>
        {suggestions.length > 0 ? (
          <ul className="suggestions" aria-label="Contacts messaged before">
            {suggestions.map((c) => (
              <li key={c.id}>
                <button type="button" className="link-btn" onClick={() => pick(c)}>
                  {c.name || c.phone || c.email} {c.name ? <span className="hint">{c.phone || c.email}</span> : null}
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        {groups.data && groups.data.items.length > 0 ? (
          <Field label="Or a group" hint="Its members get the message too, each their own copy." error={fieldError(error, "group_id")}>
            <select {...field("group_id")}>
              <option value="">No group</option>
              {groups.data.items.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name} ({g.members})
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        <div className="row">
          {several ? null : (
            <Field label="Contact name" hint="For a new contact." error={fieldError(error, "name")}>
              <input {...field("name")} autoComplete="off" />
            </Field>
          )}
          <Field
            label={several ? "Conversation name" : "Title"}
            hint={several ? "Required with several recipients: the conversation is listed under it." : "Shown in the list; the contact's name when empty."}
            error={fieldError(error, "title")}
          >
            <input {...field("title")} autoComplete="off" required={several} />
          </Field>
        </div>
        {conn?.kind === "whatsapp" ? (
          <label className="check">
            <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} /> The customer agreed to receive WhatsApp
            messages from us (recorded on the contact)
          </label>
        ) : null}
        {windowed ? (
          <label className="check">
            <input type="checkbox" checked={asTemplate} onChange={(e) => setAsTemplate(e.target.checked)} /> Send an approved template (needed unless the
            customer wrote in the last 24 hours)
          </label>
        ) : null}
        {template ? (
          <TemplateFields choice={choice} error={error} errorPrefix="message.template" />
        ) : (
          <>
            <Field
              label="First message"
              error={fieldError(error, "message.text") ?? fieldError(error, "message.type") ?? (tooLong ? `The message is too long: at most ${MAX_TEXT} characters.` : undefined)}
            >
              <textarea {...field("text")} rows={4} />
            </Field>
            <p className={`hint${tooLong ? " over" : ""}`}>
              {length}/{MAX_TEXT}
            </p>
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
        <DialogActions onCancel={onClose} busy={busy} disabled={(template && !choice.message) || tooLong} error={error}>
          {schedule ? "Schedule" : template || form.text.trim() ? "Send" : "Open conversation"}
        </DialogActions>
      </form>
    </Dialog>
  );
}

export function ChatView({ conversation }: { conversation?: string }) {
  const w = useWorkspace();
  const base = `/w/${w.slug}/chat`;
  const lq = useListQuery(base, conversation, ["view", "connection", "sort", "from", "to"] as const);
  const { connection, from, to, q } = lq.query;
  const view = lq.query.view || "all";
  // An order the server does not know (a link typed by hand) is the default one.
  const sort = Object.hasOwn(SORTS, lq.query.sort) ? lq.query.sort : "newest";
  const [composing, setComposing] = useState(false);
  const counts = useCounts("chat");
  const list = useConversationList(filterOf(view, connection, q, sort, from, to));

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
                href={lq.hrefWith({ view: v.value === "all" ? "" : v.value })}
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
        <TemplateCounts />
      </nav>
      <ListPane
        title="Chat"
        list={list}
        label="Conversations"
        activeId={conversation}
        sort={SORTS[sort]?.fn}
        hrefOf={lq.hrefOf}
        emptyTitle={q || connection || from || to || view !== "all" ? "Nothing here" : "No conversations yet"}
        emptyBody={w.can("chat:send") && view === "all" && !q ? "Start one with New conversation." : undefined}
        filters={
          <>
            <div className="filter-row">
              <SearchBox id="chat-search" label="Search conversations" placeholder="Search name, number or message" value={lq.typed} onChange={lq.setTyped} />
            </div>
            <div className="filter-row">
              {w.connections && w.connections.length > 1 ? (
                <ConnectionFilter id="chat-number" label="Number" all="All numbers" connections={w.connections} value={connection} onChange={(v) => lq.go({ connection: v })} address />
              ) : null}
              <label className="sr-only" htmlFor="chat-sort">
                Sort
              </label>
              <select id="chat-sort" value={sort} onChange={(e) => lq.go({ sort: e.target.value === "newest" ? "" : e.target.value })}>
                {Object.entries(SORTS).map(([k, s]) => (
                  <option key={k} value={k}>
                    {s.label}
                  </option>
                ))}
              </select>
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
          onDeleted={() => {
            list.remove(conversation);
            navigate(lq.hrefWith({}), { replace: true });
          }}
          onClose={() => navigate(lq.hrefWith({}))}
        />
      ) : (
        <ThreadPlaceholder>
          <Empty title="Pick a conversation">Choose one from the list, or start a new one.</Empty>
        </ThreadPlaceholder>
      )}
      {composing ? (
        <ComposeDialog
          onClose={() => setComposing(false)}
          onCreated={(c) => {
            setComposing(false);
            void list.reload();
            navigate(lq.hrefOf(c));
          }}
        />
      ) : null}
    </div>
  );
}
