// One conversation, as Chat and the Team Inbox show it: its header and actions, the
// thread and the composer, and beside them the contact panel.
//
// Keyboard shortcuts, Ctrl or ⌘ on a Mac: Ctrl+Enter sends (in the composer), Ctrl+/
// puts in a canned response, Ctrl+R resolves a ticket, Alt+N (⌥N) switches a ticket's
// composer between a reply and an internal note, Alt+T (⌥T) transfers a ticket, and
// Escape closes the conversation. Browsers keep Ctrl+N (a new window) and Ctrl+T (a new
// tab) to themselves, so those are Alt's; Ctrl+N and Ctrl+T still work where a browser
// lets the page have them. Ctrl+R is the browser's own too (reload): the shortcuts are
// taken only with the focus in the conversation and when the action is there to take,
// none while a dialog is open, whose keys they are. An open menu or list of
// suggestions keeps the keys it uses (Escape, the arrows, Enter, Tab), not the others.
import { Fragment, useEffect, useRef, useState, type ReactNode } from "react";
import { call } from "../api/client";
import type { Conversation, ConversationUpdate, Message, MessageRequest, TimelineEvent } from "../api/types";
import { Composer, type ComposerControls } from "../components/Composer";
import { ConfirmDialog, Dialog, DialogActions } from "../components/Dialog";
import { Empty, ErrorText, Loading } from "../components/Feedback";
import { Field } from "../components/Field";
import { PinIcon } from "../components/Icons";
import { SlaChip, SlaDetails } from "../components/Sla";
import { statusLabel } from "../components/Ticks";
import { Thread, type ThreadActions } from "../components/Thread";
import { dateTime, shortWhen, windowOpen } from "../lib/format";
import { ariaShortcut, isAltShortcut, isShortcut, withAlt, withModifier } from "../lib/keys";
import { useThread } from "../lib/live";
import { teamOf, useTeams } from "../lib/teams";
import { typingText, useTypists, useTypingSignal } from "../lib/typing";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { Link } from "../router";
import { useWorkspace, type Workspace } from "../workspace";
import { ConversationTags } from "./ConversationTags";
import { transferBody, TransferDialog } from "./Transfer";

/** Up to two initials of a name; "#" for a number or anything without letters. */
export function initials(name: string): string {
  const parts = name.replace(/[^\p{L} ]/gu, "").trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "#";
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

export function displayName(c: Conversation): string {
  return c.title || c.contact.name || c.contact.phone || c.contact.email || c.contact.messenger_id || "Unknown";
}

export function memberName(w: Workspace, id: string | null | undefined): string | undefined {
  if (!id) return undefined;
  const m = w.members.find((x) => x.user_id === id);
  return m ? m.name || m.email : undefined;
}

/**
 * Whether WhatsApp's 24-hour window limits this conversation to templates. The
 * conversation's channel says whether it keeps the window (window_24h); the time is
 * counted at each render rather than taken from when the conversation was loaded.
 * Without the channel, the connection (admins) or the customer having written
 * (other roles) says so.
 */
export function templatesOnly(w: Workspace, c: Conversation, now = Date.now()): boolean {
  // With several recipients each has a window of their own: a message to all of them
  // needs a template (a reply to one is judged by theirs).
  return keepsWindow(w, c) && (c.recipients > 1 || !windowOpen(windowFrom(c), now));
}

/**
 * When the customer's 24-hour window opened: their last message on the connection, in
 * this conversation or another (window_opened_at, from the server), else their last
 * one here.
 */
export function windowFrom(c: Conversation): string | null | undefined {
  const here = c.last_inbound_at;
  const any = c.window_opened_at;
  if (!any) return here;
  // As instants: the two may be written with different fractions of a second.
  return here && Date.parse(here) > Date.parse(any) ? here : any;
}

/** Whether the conversation's channel keeps the 24-hour window. */
export function keepsWindow(w: Workspace, c: Conversation): boolean {
  const conn = w.connections?.find((x) => x.id === c.connection_id);
  return c.channel ? c.channel.window_24h : conn ? conn.kind === "whatsapp" && conn.engine !== "unofficial" : !!c.last_inbound_at;
}

/** The thread column without a conversation in it: what to do, the loading state or an error. */
export function ThreadPlaceholder({ children }: { children: ReactNode }) {
  return (
    <section className="pane pane-thread pane-placeholder" aria-label="Conversation">
      {children}
    </section>
  );
}

function InfoDialog({ m, onClose }: { m: Message; onClose: () => void }) {
  const w = useWorkspace();
  const info = useAsync(
    (signal) =>
      call("get", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}", {
        path: { workspace: w.slug, conversation: m.conversation_id, message: m.id },
        signal,
      }),
    [m.id, m.status],
  );
  return (
    <Dialog title="Message info" onClose={onClose}>
      {info.loading && !info.data ? <Loading /> : null}
      <ErrorText error={info.error} />
      {info.data ? (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>{statusLabel(info.data.message.status)}</dd>
            {info.data.message.reason ? (
              <>
                <dt>Reason</dt>
                <dd>{info.data.message.reason}</dd>
              </>
            ) : null}
            {info.data.recipient ? (
              <>
                <dt>{info.data.message.direction === "in" ? "From" : "To"}</dt>
                <dd>{info.data.recipient.name || info.data.recipient.phone || info.data.recipient.email || info.data.recipient.messenger_id}</dd>
              </>
            ) : null}
            <dt>Credits</dt>
            <dd>{info.data.message.credits}</dd>
            {info.data.message.provider_message_id ? (
              <>
                <dt>Provider id</dt>
                <dd className="mono">{info.data.message.provider_message_id}</dd>
              </>
            ) : null}
          </dl>
          {info.data.copies && info.data.copies.length > 1 ? (
            <>
              <h3>Recipients</h3>
              <ul className="copies" aria-label="Recipients">
                {info.data.copies.map((cp) => (
                  <li key={cp.message_id}>
                    {cp.contact.name || cp.contact.phone || cp.contact.email} · <strong>{statusLabel(cp.status)}</strong>
                    {cp.reason ? <div className="hint">{cp.reason}</div> : null}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h3>Timeline</h3>
          <ol className="timeline">
            {info.data.timeline.map((e: TimelineEvent) => (
              <li key={e.id}>
                <strong>{statusLabel(e.status)}</strong> · {dateTime(e.at)} · {e.source}
                {e.reason ? <div className="hint">{e.reason}</div> : null}
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </Dialog>
  );
}

/** Whether a dialog is open: the keys are its own then. */
function dialogOpen(): boolean {
  return !!document.querySelector('[aria-modal="true"], [role="dialog"]');
}

/** Whether a popup (a menu, a list of suggestions) is open: the keys it moves and picks with are its own. */
function popupOpen(): boolean {
  return !!document.querySelector('[role="menu"], [role="listbox"], .suggestions');
}

/** The keys an open popup uses. */
const POPUP_KEYS = ["Escape", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter", "Tab", "Home", "End"];

/**
 * Whether the focus is in a text box with something written in it: Escape there does
 * not close the conversation, which would throw the words away.
 */
function writing(): boolean {
  const el = document.activeElement;
  if (el instanceof HTMLTextAreaElement) return el.value !== "";
  return el instanceof HTMLInputElement && /^(text|search|email|tel|url|number|password)$/.test(el.type) && el.value !== "";
}

/**
 * Resolving a ticket, with a note for the team if there is something to say (what was
 * done, what to watch for): the note goes in the thread, never to the customer.
 */
function ResolveDialog({ onClose, onResolve }: { onClose: () => void; onResolve: (note: string) => Promise<void> }) {
  const [note, setNote] = useState("");
  const { busy, error, run } = useAction();
  return (
    <Dialog title="Resolve ticket" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await onResolve(note.trim());
            onClose();
          });
        }}
      >
        <Field label="Note for the team (optional)" hint="Kept in the thread as an internal note; the customer never sees it.">
          <textarea autoFocus rows={3} value={note} maxLength={4096} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          Resolve
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** Picks the conversation a message is forwarded to, and forwards it there. */
function ForwardDialog({ m, onClose, onForwarded }: { m: Message; onClose: () => void; onForwarded: (fwd: Message) => void }) {
  const w = useWorkspace();
  const [q, setQ] = useState("");
  const { busy, error, run } = useAction();
  const list = useAsync(
    (signal) => call("get", "/api/v1/workspaces/{workspace}/conversations", { path: { workspace: w.slug }, query: { q: q || undefined, limit: 20 }, signal }),
    [w.slug, q],
  );
  const targets = (list.data?.items ?? []).filter((c) => c.id !== m.conversation_id);
  return (
    <Dialog title="Forward message" onClose={onClose}>
      <p className="hint">A forwarded message is a new message in that conversation: it is sent and charged like any other.</p>
      <Field label="Search conversations">
        <input autoFocus value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name or message" />
      </Field>
      <ErrorText error={list.error ?? error} />
      {list.loading && !list.data ? <Loading /> : null}
      <ul className="forward-list" aria-label="Conversations">
        {targets.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              className="btn btn-quiet"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  const fwd = await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}/forward", {
                    path: { workspace: w.slug, conversation: m.conversation_id, message: m.id },
                    body: { conversation_id: c.id },
                  });
                  onForwarded(fwd);
                })
              }
            >
              {displayName(c)}
            </button>
          </li>
        ))}
      </ul>
      {list.data && targets.length === 0 ? <Empty title="No other conversation matches" /> : null}
    </Dialog>
  );
}

/** Asks before a message is deleted. */
function DeleteDialog({ m, onClose, onDelete }: { m: Message; onClose: () => void; onDelete: () => void }) {
  return (
    <ConfirmDialog title="Delete message?" confirm="Delete" cancel="Keep" danger onConfirm={onDelete} onClose={onClose}>
      The message stays in the thread as deleted, without its content.
      {m.direction === "out" && ["sent", "delivered", "read"].includes(m.status) ? " The customer keeps the copy they received." : ""}
      {m.status === "scheduled" ? " It will not be sent." : ""}
    </ConfirmDialog>
  );
}

/** The thread's pinned messages, above it. */
function PinnedBar({ messages }: { messages: Message[] }) {
  const pinned = messages.filter((m) => m.pinned_at && !m.deleted_at);
  if (pinned.length === 0) return null;
  return (
    <div className="pinned-bar" role="region" aria-label="Pinned messages">
      <PinIcon />
      <ol>
        {pinned.map((m) => (
          <li key={m.id}>{m.body || `[${m.type}]`}</li>
        ))}
      </ol>
    </div>
  );
}

export function ConversationPane({
  id,
  onChanged,
  onDeleted,
  onToggleContact,
  contactOpen,
  onClose,
}: {
  id: string;
  onChanged?: (c: Conversation) => void;
  /** After this member deleted the conversation. */
  onDeleted?: () => void;
  onToggleContact?: () => void;
  contactOpen?: boolean;
  /** Back to the list: the close button, or Escape. */
  onClose?: () => void;
}) {
  const w = useWorkspace();
  const t = useThread(id);
  // A ticket's team names its queue in the head and in Transfer; chats have none.
  const teams = useTeams(t.conversation?.kind === "ticket");
  const typing = useTypingSignal(id);
  const typists = useTypists(id);
  const { busy, error: actionError, run: act } = useAction();
  const [info, setInfo] = useState<Message | null>(null);
  const [forwarding, setForwarding] = useState<Message | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [markingFor, setMarkingFor] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const [deletingConversation, setDeletingConversation] = useState(false);
  const [resolving, setResolving] = useState(false);
  const [transferring, setTransferring] = useState(false);
  const pane = useRef<HTMLElement>(null);
  const composer = useRef<ComposerControls>(null);
  // The shortcuts as this render has them (what may be done now), for the one listener.
  const shortcuts = useRef<((e: KeyboardEvent) => void) | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => shortcuts.current?.(e);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  const several = (t.conversation?.recipients ?? 1) > 1;
  const recipients = useAsync(
    (signal) =>
      several
        ? call("get", "/api/v1/workspaces/{workspace}/conversations/{conversation}/recipients", { path: { workspace: w.slug, conversation: id }, query: { limit: 200 }, signal })
        : Promise.resolve(null),
    [w.slug, id, several],
  );
  const senderName = (contactId: string | null | undefined) => {
    const ct = recipients.data?.items.find((x) => x.id === contactId);
    return ct ? ct.name || ct.phone || ct.email || ct.messenger_id : undefined;
  };
  const c = t.conversation;
  const path = { workspace: w.slug, conversation: id };

  const changed = (v: Conversation) => {
    t.setConversation(v);
    onChanged?.(v);
  };

  const canWrite = c ? (c.kind === "chat" ? w.can("chat:send") : w.can("conversations:reply")) : false;

  // Opening an unread conversation reads it for the reader: read state is each
  // member's own, so an admin looking into an agent's ticket leaves it unread for them.
  const marked = useRef<string | null>(null);
  useEffect(() => {
    if (!c || !c.unread || !canWrite || marked.current === c.id) return;
    marked.current = c.id;
    call("patch", "/api/v1/workspaces/{workspace}/conversations/{conversation}", { path, body: { unread: false } })
      .then(changed)
      .catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [c?.id, c?.unread, canWrite]);

  shortcuts.current = null;
  if (!c) return <ThreadPlaceholder>{t.error ? <ErrorText error={t.error} /> : <Loading label="Loading conversation…" />}</ThreadPlaceholder>;

  const name = displayName(c);
  const ticket = c.kind === "ticket";
  const assignee = memberName(w, c.assignee_id);
  const team = ticket ? teamOf(teams, c.team_id) : undefined;
  // A reply to one customer is judged by their window: it opened when they wrote.
  const theirLast = replyTo ? [...t.messages].reverse().find((m) => m.direction === "in" && m.contact_id === replyTo.contact_id) : undefined;
  const closed = replyTo ? keepsWindow(w, c) && !windowOpen((theirLast ?? replyTo).created_at) : templatesOnly(w, c);
  const lastOut = [...t.messages].reverse().find((m) => m.direction === "out");
  // Whose details a canned response fills in: the one customer, or with several
  // recipients the one being replied to (once the recipients are in); a message to
  // all of them names nobody's.
  const customer = !several ? c.contact : replyTo ? recipients.data?.items.find((x) => x.id === replyTo.contact_id) : undefined;

  const send = async (req: MessageRequest) => {
    const body = replyTo && req.type !== "note" ? { ...req, reply_to: replyTo.id } : req;
    const m = await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages", { path, body });
    t.add(m);
    if (m.send_id) void t.reload(); // the other recipients' copies
    setReplyTo(null);
  };
  const failedCount = t.messages.filter((m) => m.direction === "out" && m.status === "failed" && !m.deleted_at).length;
  const scheduledCount = t.messages.filter((m) => m.direction === "out" && m.status === "scheduled").length;
  const failed = failedCount > 0;
  const messageAction = (what: "retry" | "send-now" | "cancel") => (m: Message) =>
    act(async () => {
      const p = { ...path, message: m.id };
      const r =
        what === "retry"
          ? await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}/retry", { path: p })
          : what === "send-now"
            ? await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}/send-now", { path: p })
            : await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}/cancel", { path: p });
      t.add(r);
    });
  const messagePath = (m: Message) => ({ ...path, message: m.id });
  const patchMessage = (m: Message, body: { pinned?: boolean; starred?: boolean; reaction?: string }) =>
    act(async () => t.add(await call("patch", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}", { path: messagePath(m), body })));
  const remove = (m: Message) =>
    act(async () => {
      setDeleting(null);
      t.add(await call("delete", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages/{message}", { path: messagePath(m) }));
    });
  const actions: ThreadActions = canWrite
    ? {
        retry: messageAction("retry"),
        sendNow: messageAction("send-now"),
        cancel: messageAction("cancel"),
        info: setInfo,
        pin: (m, pinned) => void patchMessage(m, { pinned }),
        react: (m, reaction) => void patchMessage(m, { reaction }),
        star: w.me ? (m, starred) => void patchMessage(m, { starred }) : undefined,
        forward: setForwarding,
        remove: setDeleting,
        reply: several ? setReplyTo : undefined,
      }
    : { info: setInfo };
  // The API's own type for the change: its state is any but abandoned, which only the auto-close rules set.
  const update = (body: ConversationUpdate) =>
    act(async () => changed(await call("patch", "/api/v1/workspaces/{workspace}/conversations/{conversation}", { path, body })));
  // Resolved, or abandoned by the auto-close rules after waiting in the queue: done with
  // until the customer writes again or a member reopens or accepts it.
  const ticketClosed = ticket && (c.state === "resolved" || c.state === "abandoned");
  const canResolve = ticket && canWrite && !ticketClosed;
  // A closed ticket is reopened first: it goes to whoever had it, or to the queue.
  const canTransfer = ticket && !ticketClosed && w.can("conversations:assign");

  shortcuts.current = (e) => {
    // A key a box or a popup used already (Escape closing the canned responses) is theirs.
    if (e.defaultPrevented || e.isComposing || dialogOpen() || (POPUP_KEYS.includes(e.key) && popupOpen())) return;
    // Escape closes from anywhere on the page, the list too, unless words would be lost:
    // typed in the box with the focus, or a draft in the composer wherever the focus is.
    if (e.key === "Escape") {
      if (!onClose || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || writing() || composer.current?.hasDraft()) return;
      e.preventDefault();
      onClose();
      return;
    }
    // The browser's own shortcuts (reload, new window) stay the browser's outside it.
    if (!(e.target instanceof Node && pane.current?.contains(e.target))) return;
    if (isShortcut(e, "r") && canResolve && !busy) {
      e.preventDefault();
      setResolving(true);
    } else if ((isAltShortcut(e, "n") || isShortcut(e, "n")) && ticket && composer.current) {
      e.preventDefault();
      composer.current.toggleNote();
    } else if ((isAltShortcut(e, "t") || isShortcut(e, "t")) && canTransfer && !busy) {
      e.preventDefault();
      setTransferring(true);
    }
  };

  return (
    <>
    <section ref={pane} className="pane pane-thread" aria-label={`Conversation with ${name}`} tabIndex={-1}>
      <header className="thread-head">
        <span className="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <div className="thread-title">
          <h2>{name}</h2>
          <p className="hint">
            {several ? `${c.recipients} recipients` : c.contact.phone || c.contact.email || c.contact.messenger_id}
            {ticket ? ` · ${c.state}${assignee ? ` · ${assignee}` : c.assignee_id ? "" : " · unassigned"}` : ` · ${c.pill}`}
            {c.archived ? " · archived" : ""}
          </p>
          <div className="thread-badges">
            {team ? (
              <span className="team-badge" title="The team whose queue the ticket is in">
                {team.name}
              </span>
            ) : null}
            <SlaChip c={c} />
          </div>
        </div>
        <div className="thread-actions">
          {ticket && !c.assignee_id && w.can("conversations:accept") ? (
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => act(async () => changed(await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/accept", { path })))}>
              {/* An abandoned ticket is one from the queue that no one accepted in time. */}
              {c.state === "queued" || c.state === "abandoned" ? "Accept" : "Assign to me"}
            </button>
          ) : null}
          {ticket && canWrite && c.state === "active" ? (
            <button
              type="button"
              className="btn btn-quiet"
              disabled={busy}
              title="Waiting on the customer: it stays yours, and their reply makes it active again"
              onClick={() => update({ state: "pending" })}
            >
              Pending
            </button>
          ) : null}
          {canResolve ? (
            <button
              type="button"
              className="btn"
              disabled={busy}
              title={`Resolve (${withModifier("R")})`}
              aria-keyshortcuts={ariaShortcut("R")}
              onClick={() => setResolving(true)}
            >
              Resolve
            </button>
          ) : null}
          {canTransfer ? (
            <button
              type="button"
              className="btn"
              disabled={busy}
              title={`Transfer (${withAlt("T")})`}
              aria-keyshortcuts={`Alt+T ${ariaShortcut("T")}`}
              onClick={() => setTransferring(true)}
            >
              Transfer
            </button>
          ) : null}
          {ticketClosed && canWrite ? (
            <button type="button" className="btn" disabled={busy} onClick={() => update({ state: c.assignee_id ? "active" : "queued" })}>
              Reopen
            </button>
          ) : null}
          {!ticket && canWrite && failed ? (
            <button
              type="button"
              className="btn"
              disabled={busy}
              onClick={() => setRetrying(true)}
            >
              Retry failed
            </button>
          ) : null}
          {!ticket && canWrite && scheduledCount > 0 ? (
            <button
              type="button"
              className="btn"
              disabled={busy}
              onClick={() =>
                act(async () => {
                  await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/send-now", { path });
                  await t.reload();
                })
              }
            >
              Send all now
            </button>
          ) : null}
          {!ticket && canWrite && lastOut ? (
            <button type="button" className="btn" disabled={busy} onClick={() => act(async () => t.add(await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/resend", { path })))}>
              Send again
            </button>
          ) : null}
          {!ticket && canWrite ? (
            <button type="button" className="btn" disabled={busy} onClick={() => update({ archived: !c.archived })}>
              {c.archived ? "Unarchive" : "Archive"}
            </button>
          ) : null}
          {!ticket && canWrite && w.can("conversations:delete") ? (
            <button type="button" className="btn btn-quiet" disabled={busy} onClick={() => setDeletingConversation(true)}>
              Delete
            </button>
          ) : null}
          {canWrite && !c.unread ? (
            <button type="button" className="btn btn-quiet" disabled={busy} onClick={() => update({ unread: true })}>
              Mark unread
            </button>
          ) : null}
          {ticket && assignee && c.assignee_id !== w.me && w.can("conversations:assign") ? (
            <button type="button" className="btn btn-quiet" disabled={busy} onClick={() => setMarkingFor(true)}>
              Mark unread for {assignee}
            </button>
          ) : null}
          {onToggleContact ? (
            <button type="button" className="btn btn-quiet" aria-expanded={contactOpen} onClick={onToggleContact}>
              Contact
            </button>
          ) : null}
          {onClose ? (
            <button type="button" className="icon-btn" aria-label="Close conversation" title="Close (Esc)" aria-keyshortcuts="Escape" onClick={onClose}>
              ×
            </button>
          ) : null}
        </div>
      </header>
      <ConversationTags key={`tags-${c.id}`} c={c} onChanged={changed} />
      <ErrorText error={actionError} />
      <PinnedBar messages={t.messages} />
      {t.messages.length === 0 && !t.loading ? (
        <div className="thread">
          <Empty title="No messages yet" />
        </div>
      ) : (
        <Thread
          messages={t.messages}
          authorName={(a) => memberName(w, a)}
          senderName={several ? senderName : undefined}
          actions={actions}
        />
      )}
      {replyTo ? (
        <p className="reply-bar" role="status">
          Replying to {senderName(replyTo.contact_id) ?? "this customer"} only
          <button type="button" className="link-btn" onClick={() => setReplyTo(null)}>
            Reply to everyone instead
          </button>
        </p>
      ) : null}
      {/* Other members writing here now, so that two do not answer the customer at once. */}
      <p className="typing-indicator" aria-live="polite">
        {typingText(typists)}
      </p>
      {canWrite ? (
        <Composer
          key={c.id}
          ref={composer}
          onSend={send}
          onTyping={typing}
          windowClosed={closed}
          windowNote={
            several && !replyTo
              ? "A message to every recipient needs an approved template: each has a 24-hour window of their own. To answer one customer in free text, use Reply on their message."
              : undefined
          }
          connection={c.connection_id}
          allowNotes={ticket}
          customer={customer}
        />
      ) : (
        <p className="readonly-note" role="note">
          You can read this conversation; your role ({w.view.role}) cannot reply.
        </p>
      )}
      {info ? <InfoDialog m={info} onClose={() => setInfo(null)} /> : null}
      {forwarding ? <ForwardDialog m={forwarding} onClose={() => setForwarding(null)} onForwarded={() => setForwarding(null)} /> : null}
      {retrying ? (
        <ConfirmDialog
          title="Retry the failed messages?"
          confirm={`Retry ${failedCount}`}
          onClose={() => setRetrying(false)}
          onConfirm={() =>
            void act(async () => {
              await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/retry-failed", { path });
              await t.reload();
            })
          }
        >
          {failedCount === 1 ? "1 failed message goes" : `${failedCount} failed messages go`} out again, each charged a credit (refunded if it fails
          again).
        </ConfirmDialog>
      ) : null}
      {resolving ? (
        <ResolveDialog
          onClose={() => setResolving(false)}
          onResolve={async (note) => {
            if (note) t.add(await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages", { path, body: { type: "note", text: note } }));
            changed(await call("patch", "/api/v1/workspaces/{workspace}/conversations/{conversation}", { path, body: { state: "resolved" } }));
          }}
        />
      ) : null}
      {transferring ? (
        <TransferDialog
          title="Transfer ticket"
          teams={teams ?? []}
          holder={c}
          onClose={() => setTransferring(false)}
          onTransfer={async (to, note) => {
            changed(await call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/assign", { path, body: transferBody(to, note) }));
            // The note is a message of its own, which the answer does not carry.
            if (note) await t.reload();
          }}
        />
      ) : null}
      {deletingConversation ? (
        <ConfirmDialog
          title="Delete this conversation?"
          confirm="Delete conversation"
          danger
          onClose={() => setDeletingConversation(false)}
          onConfirm={() =>
            void act(async () => {
              setDeletingConversation(false);
              await call("delete", "/api/v1/workspaces/{workspace}/conversations/{conversation}", { path });
              onDeleted?.();
            })
          }
        >
          {name} and all its messages go, for everyone
          {scheduledCount > 0 ? `; ${scheduledCount === 1 ? "its scheduled message is" : `its ${scheduledCount} scheduled messages are`} cancelled (nothing was charged for them)` : ""}. Credits already spent
          stay spent. This cannot be undone.
        </ConfirmDialog>
      ) : null}
      {markingFor && c.assignee_id ? (
        <ConfirmDialog
          title="Mark unread for the assignee?"
          confirm={`Mark unread for ${assignee}`}
          onClose={() => setMarkingFor(false)}
          onConfirm={() => void update({ unread: true, for_user_id: c.assignee_id ?? undefined })}
        >
          {assignee} will see this ticket as unread. Your own reading never changes theirs; this does.
        </ConfirmDialog>
      ) : null}
      {deleting ? <DeleteDialog m={deleting} onClose={() => setDeleting(null)} onDelete={() => void remove(deleting)} /> : null}
    </section>
    {contactOpen ? <ContactPanel c={c} /> : null}
    </>
  );
}

/** How many of the customer's other conversations the contact panel links to. */
const PREVIOUS_SHOWN = 5;

/** How many it loads to count them; with more than that it says so. */
const PREVIOUS_COUNTED = 20;

/**
 * The customer's other conversations, newest first, each linked where it opens: a
 * ticket in the Team Inbox, a chat in Chat. The server lists those not archived, and
 * chats only to a member who may read Chat.
 */
function PreviousConversations({ c }: { c: Conversation }) {
  const w = useWorkspace();
  const list = useAsync(
    (signal) =>
      call("get", "/api/v1/workspaces/{workspace}/conversations", {
        path: { workspace: w.slug },
        query: { contact: c.contact.id, limit: PREVIOUS_COUNTED },
        signal,
      }),
    [w.slug, c.contact.id, c.id],
  );
  if (list.error) return <p className="hint">Previous conversations could not be loaded.</p>;
  if (!list.data) return null;
  const others = list.data.items.filter((x) => x.id !== c.id);
  const uncounted = !!list.data.next_cursor;
  const rest = others.length - PREVIOUS_SHOWN;
  return (
    <dl className="facts">
      <dt>
        Previous conversations ({others.length}
        {uncounted ? "+" : ""})
      </dt>
      {others.length ? (
        <dd>
          <ul className="previous-conversations" aria-label="Previous conversations">
            {others.slice(0, PREVIOUS_SHOWN).map((x) => (
              <li key={x.id}>
                <Link href={`/w/${w.slug}/${x.kind === "ticket" ? "inbox" : "chat"}/${x.id}`}>{displayName(x)}</Link>
                <span className="hint">
                  {" "}
                  · {x.kind === "ticket" ? x.state : x.pill} · <time dateTime={x.last_activity_at}>{shortWhen(x.last_activity_at)}</time>
                </span>
              </li>
            ))}
          </ul>
          {uncounted ? <p className="hint">and more</p> : rest > 0 ? <p className="hint">and {rest} more</p> : null}
        </dd>
      ) : (
        <dd>None</dd>
      )}
    </dl>
  );
}

export function ContactPanel({ c }: { c: Conversation }) {
  const w = useWorkspace();
  const conn = w.connections?.find((x) => x.id === c.connection_id);
  const open = windowOpen(windowFrom(c));
  // The contact's custom attributes, which the conversation does not carry.
  const contact = useAsync(
    (signal) =>
      w.can("contacts:read")
        ? call("get", "/api/v1/workspaces/{workspace}/contacts/{contact}", { path: { workspace: w.slug, contact: c.contact.id }, signal })
        : Promise.resolve(null),
    [w.slug, c.contact.id],
  );
  const attributes = Object.entries(contact.data?.attributes ?? {});
  return (
    <aside className="pane pane-contact" aria-label="Contact">
      <div className="contact-head">
        <span className="avatar avatar-lg" aria-hidden="true">
          {initials(displayName(c))}
        </span>
        <h2>{c.contact.name || c.contact.phone || "Unknown contact"}</h2>
        {w.can("contacts:read") ? (
          <Link href={`/w/${w.slug}/contacts/${c.contact.id}`}>{w.can("contacts:manage") ? "Edit contact" : "Open in Contacts"}</Link>
        ) : null}
      </div>
      <dl className="facts">
        {c.contact.phone ? (
          <>
            <dt>Phone</dt>
            <dd>{c.contact.phone}</dd>
          </>
        ) : null}
        {c.contact.email ? (
          <>
            <dt>Email</dt>
            <dd>{c.contact.email}</dd>
          </>
        ) : null}
        {c.contact.messenger_id ? (
          <>
            <dt>Messenger</dt>
            <dd>{c.contact.messenger_id}</dd>
          </>
        ) : null}
        <dt>{c.kind === "ticket" ? "Status" : "Pill"}</dt>
        <dd>{c.kind === "ticket" ? c.state : c.pill}</dd>
        {c.kind === "ticket" ? (
          <>
            <dt>Assignee</dt>
            <dd>{memberName(w, c.assignee_id) ?? (c.assignee_id ? "Someone else" : "Unassigned")}</dd>
          </>
        ) : null}
        {conn ? (
          <>
            <dt>Connection</dt>
            <dd>
              {conn.display_name} ({conn.address})
            </dd>
          </>
        ) : null}
        <dt>Customer last wrote</dt>
        <dd>{windowFrom(c) ? dateTime(windowFrom(c) as string) : "Never"}</dd>
        {windowFrom(c) ? (
          <>
            <dt>24-hour window</dt>
            <dd>{open ? "Open" : "Closed"}</dd>
          </>
        ) : null}
        <dt>Opened</dt>
        <dd>{dateTime(c.created_at)}</dd>
        {attributes.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
      </dl>
      {contact.error ? <p className="hint">The contact's attributes could not be loaded.</p> : null}
      <SlaDetails c={c} />
      <PreviousConversations c={c} />
    </aside>
  );
}
