// A conversation's messages, oldest first, as bubbles under day separators.
import { Fragment, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from "react";
import type { Message } from "../api/types";
import { clock, dayLabel, sameDay } from "../lib/format";
import { usePopover } from "../lib/usePopover";
import { parseWhatsAppText, type Piece } from "../lib/whatsappText";
import { InfoIcon, PinIcon, StarIcon } from "./Icons";
import { statusLabel, Ticks } from "./Ticks";
import { WorkspaceContext } from "../workspace";

export interface ThreadActions {
  retry?: (m: Message) => void;
  sendNow?: (m: Message) => void;
  cancel?: (m: Message) => void;
  info?: (m: Message) => void;
  pin?: (m: Message, pinned: boolean) => void;
  star?: (m: Message, starred: boolean) => void;
  react?: (m: Message, emoji: string) => void;
  forward?: (m: Message) => void;
  remove?: (m: Message) => void;
  /** Answer this customer alone (a conversation with several recipients). */
  reply?: (m: Message) => void;
}

/** One bubble of the thread: a message, or the copies of one send to several recipients. */
export interface ThreadItem {
  m: Message;
  copies?: Message[];
}

/** The thread's bubbles: the copies of a send become one, shown by its first copy. */
export function groupCopies(messages: Message[]): ThreadItem[] {
  const bySend = new Map<string, Message[]>();
  for (const m of messages) {
    if (m.send_id) bySend.set(m.send_id, [...(bySend.get(m.send_id) ?? []), m]);
  }
  const out: ThreadItem[] = [];
  for (const m of messages) {
    if (!m.send_id) {
      out.push({ m });
      continue;
    }
    const copies = bySend.get(m.send_id);
    if (!copies) continue; // shown already
    bySend.delete(m.send_id);
    out.push({ m: copies.find((c) => c.id === m.send_id) ?? copies[0], copies });
  }
  return out;
}

/** "To 3 recipients · 2 Read · 1 Failed": how the copies of a send fared. */
export function copiesSummary(copies: Message[]): string {
  const counts = new Map<string, number>();
  for (const c of copies) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const parts = [...counts.entries()].map(([status, n]) => `${n} ${statusLabel(status)}`);
  return [`To ${copies.length} recipients`, ...parts].join(" · ");
}

/**
 * Why copies of a send failed or wait, each reason once with how many copies it
 * holds: "2 Failed: The customer opted out". A single copy shows it on its ticks.
 */
export function copiesReasons(copies: Message[]): string[] {
  const counts = new Map<string, number>();
  for (const c of copies) {
    if (!c.reason || (c.status !== "failed" && c.status !== "scheduled")) continue;
    const key = `${statusLabel(c.status)}: ${c.reason}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([why, n]) => `${n} ${why}`);
}

/** The reactions offered in a message's menu. */
export const REACTIONS = ["👍", "❤️", "😂", "😮", "🙏", "🎉"];

/** Whether a message can still be deleted: one on its way to the provider cannot. */
export function deletable(m: Message): boolean {
  return !(m.direction === "out" && (m.status === "pending" || m.status === "queued"));
}

/** A message's own actions (pin, star, react, forward, delete) behind one button. */
function MessageMenu({ m, actions }: { m: Message; actions: ThreadActions }) {
  const { open, setOpen, ref, trigger } = usePopover('[role^="menuitem"]');
  const items = () => Array.from(ref.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]') ?? []);
  // Focus goes back to the menu's button before the item runs: a dialog it opens
  // returns focus there when it closes.
  const choose = (run: () => void) => () => {
    setOpen(false);
    trigger.current?.focus();
    run();
  };
  const arrows = (e: ReactKeyboardEvent) => {
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLElement);
    const step = e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : e.key === "ArrowUp" || e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0 || all.length === 0) return;
    e.preventDefault();
    all[(i + step + all.length) % all.length].focus();
  };
  const item = (label: string, run: () => void) => (
    <button type="button" role="menuitem" tabIndex={-1} onClick={choose(run)}>
      {label}
    </button>
  );
  const canReact = m.direction !== "note" && actions.react;
  return (
    // aria-live off: the thread announces new messages, not this menu opening.
    <div className="msg-menu" ref={ref} aria-live="off">
      <button
        ref={trigger}
        type="button"
        className="icon-btn small"
        aria-label="Message actions"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open ? (
        <div className="menu" role="menu" aria-label="Message actions" onKeyDown={arrows}>
          {canReact ? (
            <div className="menu-reactions" role="group" aria-label="React">
              {REACTIONS.map((e) => (
                <button
                  key={e}
                  type="button"
                  role="menuitemradio"
                  tabIndex={-1}
                  aria-checked={m.reaction === e}
                  aria-label={`React ${e}`}
                  onClick={choose(() => actions.react?.(m, m.reaction === e ? "" : e))}
                >
                  {e}
                </button>
              ))}
            </div>
          ) : null}
          {actions.pin ? item(m.pinned_at ? "Unpin" : "Pin", () => actions.pin?.(m, !m.pinned_at)) : null}
          {actions.star ? item(m.starred ? "Unstar" : "Star", () => actions.star?.(m, !m.starred)) : null}
          {actions.forward && m.direction !== "note" && m.type !== "unsupported" ? item("Forward…", () => actions.forward?.(m)) : null}
          {actions.remove && deletable(m) ? item("Delete…", () => actions.remove?.(m)) : null}
        </div>
      ) : null}
    </div>
  );
}

type MediaRef = NonNullable<NonNullable<Message["content"]>["media"]>;

/**
 * MediaView shows a message's media. A customer's come through the API, which fetches
 * them from the provider with the connection's credentials; a file an agent uploaded
 * comes through the same route, from the workspace's own store. Pictures, sound and
 * video play in the thread, anything else downloads. Media sent as a link (no upload)
 * is the link the agent gave.
 */
function MediaView({ m, media }: { m: Message; media: MediaRef }) {
  const w = useContext(WorkspaceContext);
  const [gone, setGone] = useState(false);
  const label = media.filename || media.mime_type || "Attachment";
  const ours = m.direction !== "in";
  if ((ours && !m.content?.media_file) || !w) {
    return (
      <p className="msg-media">
        {media.url ? (
          <a href={media.url} target="_blank" rel="noreferrer noopener">
            {label}
          </a>
        ) : (
          label
        )}
      </p>
    );
  }
  const src = `/api/v1/workspaces/${encodeURIComponent(w.slug)}/conversations/${encodeURIComponent(m.conversation_id)}/messages/${encodeURIComponent(m.id)}/media`;
  const type = media.mime_type ?? "";
  if (gone) {
    // Not shown here (a format this browser does not play, or the provider refused or
    // no longer keeps it): the file itself, or the server's reason, is one click away.
    return (
      <p className="msg-media">
        <span className="msg-muted">This media cannot be shown here. </span>
        <a href={src} download={media.filename || true}>
          Download {label}
        </a>
      </p>
    );
  }
  if (/^image\/(jpeg|png|gif|webp)$/.test(type)) {
    return (
      <p className="msg-media">
        <a href={src} target="_blank" rel="noreferrer noopener">
          <img
            src={src}
            alt={media.caption || media.filename || (ours ? "Picture sent to the customer" : "Picture from the customer")}
            loading="lazy"
            onError={() => setGone(true)}
          />
        </a>
      </p>
    );
  }
  if (type.startsWith("audio/")) {
    return (
      <p className="msg-media">
        <audio
          controls
          preload="none"
          src={src}
          aria-label={media.filename || (ours ? "Audio sent to the customer" : "Voice message from the customer")}
          onError={() => setGone(true)}
        />
      </p>
    );
  }
  if (type.startsWith("video/")) {
    return (
      <p className="msg-media">
        <video
          controls
          preload="metadata"
          src={src}
          aria-label={media.filename || (ours ? "Video sent to the customer" : "Video from the customer")}
          onError={() => setGone(true)}
        />
      </p>
    );
  }
  return (
    <p className="msg-media">
      <a href={src} download={media.filename || true}>
        {label}
      </a>
    </p>
  );
}

/** Formatted runs as elements; the text itself goes in as text, never as markup. */
function formatted(pieces: Piece[]): ReactNode[] {
  return pieces.map((p, i) => {
    if (typeof p === "string") return p;
    const inner = formatted(p.children);
    switch (p.style) {
      case "bold":
        return <strong key={i}>{inner}</strong>;
      case "italic":
        return <em key={i}>{inner}</em>;
      case "strike":
        return <s key={i}>{inner}</s>;
      case "mono":
        return (
          <code key={i} className="msg-mono">
            {inner}
          </code>
        );
      case "code":
        return (
          <code key={i} className="msg-code">
            {inner}
          </code>
        );
    }
  });
}

/**
 * A message's text with WhatsApp's formatting (*bold*, _italic_, ~strikethrough~,
 * ```monospace```, `code`), as the customer sees it; line breaks stay as written.
 */
function MessageText({ text }: { text: string }) {
  const pieces = useMemo(() => parseWhatsAppText(text), [text]);
  return <p className="msg-text">{formatted(pieces)}</p>;
}

function Body({ m }: { m: Message }) {
  const t = m.content?.template;
  const media = m.content?.media;
  const loc = m.content?.location;
  return (
    <>
      {m.content?.subject ? <p className="msg-subject">{m.content.subject}</p> : null}
      {t ? (
        <p className="msg-template">
          <span className="msg-tag">Template</span> {t.name} ({t.language})
          {t.header_text || t.body?.length || t.named ? (
            <span className="msg-params">
              {" · "}
              {[
                ...(t.header_text ? [`header: ${t.header_text}`] : []),
                ...(t.body ?? []),
                ...Object.entries(t.named ?? {}).map(([k, v]) => `${k}: ${v}`),
              ].join(", ")}
            </span>
          ) : null}
        </p>
      ) : null}
      {media ? <MediaView m={m} media={media} /> : null}
      {loc ? (
        <p className="msg-location">
          📍 {loc.name || "Location"} ({loc.latitude.toFixed(5)}, {loc.longitude.toFixed(5)}){loc.address ? ` · ${loc.address}` : ""}
        </p>
      ) : null}
      {m.type === "unsupported" && !m.body ? <p className="msg-muted">This message type is not shown here.</p> : null}
      {m.body ? <MessageText text={m.body} /> : null}
    </>
  );
}

export function MessageBubble({
  m,
  author,
  actions,
  copies,
}: {
  m: Message;
  author?: string;
  actions?: ThreadActions;
  copies?: Message[];
}) {
  const group = copies && copies.length > 1;
  // The copies of a send are acted on together in the header (retry failed); one
  // copy's delete or reaction would make the bubble say what is true of one only.
  if (group && actions) actions = { ...actions, remove: undefined, react: undefined, retry: undefined };
  const cls = m.direction === "in" ? "msg msg-in" : m.direction === "note" ? "msg msg-note" : "msg msg-out";
  const when = m.scheduled_at && m.status === "scheduled" ? m.scheduled_at : m.created_at;
  const deleted = !!m.deleted_at;
  const menu = actions && !deleted && (actions.pin || actions.star || actions.react || actions.forward || actions.remove);
  return (
    <div className={deleted ? `${cls} msg-deleted` : cls} data-message-id={m.id} data-status={m.status}>
      {m.direction === "note" ? <p className="msg-author">Internal note{author ? ` · ${author}` : ""}</p> : null}
      {m.direction !== "note" && author ? <p className="msg-author">{author}</p> : null}
      {m.forwarded_from && !deleted ? <p className="msg-tag">Forwarded</p> : null}
      {deleted ? <p className="msg-muted">This message was deleted</p> : <Body m={m} />}
      {m.reaction ? (
        <span className="msg-reaction" role="img" aria-label={`Reaction ${m.reaction}`}>
          {m.reaction}
        </span>
      ) : null}
      <div className="msg-meta">
        {menu && actions ? <MessageMenu m={m} actions={actions} /> : null}
        {m.pinned_at ? (
          <span className="msg-flag" role="img" aria-label="Pinned" title="Pinned">
            <PinIcon />
          </span>
        ) : null}
        {m.starred ? (
          <span className="msg-flag msg-star" role="img" aria-label="Starred" title="Starred">
            <StarIcon />
          </span>
        ) : null}
        {m.direction === "out" && actions && !deleted ? (
          <span className="msg-actions">
            {m.status === "failed" && actions.retry ? (
              <button type="button" className="link-btn" onClick={() => actions.retry?.(m)}>
                Retry
              </button>
            ) : null}
            {m.status === "scheduled" && actions.sendNow ? (
              <button type="button" className="link-btn" onClick={() => actions.sendNow?.(m)}>
                Send now
              </button>
            ) : null}
            {m.status === "scheduled" && actions.cancel ? (
              <button type="button" className="link-btn" onClick={() => actions.cancel?.(m)}>
                Cancel
              </button>
            ) : null}
            {actions.info ? (
              <button type="button" className="icon-btn small" aria-label="Message info" title="Message info" onClick={() => actions.info?.(m)}>
                <InfoIcon />
              </button>
            ) : null}
          </span>
        ) : null}
        {m.status === "scheduled" && m.scheduled_at ? <span>Scheduled for {new Date(m.scheduled_at).toLocaleString()}</span> : null}
        <time dateTime={when}>{clock(m.created_at)}</time>
        {m.direction === "in" && actions?.reply && !deleted ? (
          <button type="button" className="link-btn" onClick={() => actions.reply?.(m)}>
            Reply
          </button>
        ) : null}
        {m.direction === "out" && !group ? <Ticks status={m.status} reason={m.reason} /> : null}
      </div>
      {group ? <p className="msg-copies hint">{copiesSummary(copies)}</p> : null}
      {group && copiesReasons(copies).length > 0 ? (
        <ul className="msg-copies-reasons hint" aria-label="Why some copies did not go">
          {copiesReasons(copies).map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The name a note without an author goes by: Switchboard's own, as the auto-close rules write in each ticket they close. */
const SYSTEM_AUTHOR = "Switchboard";

/**
 * Who a message is from, where the bubble names it: ours by the member who wrote it, a
 * note with no author by Switchboard itself, a customer's by their name where there are
 * several.
 */
function authorOf(
  m: Message,
  authorName: ((id: string | null | undefined) => string | undefined) | undefined,
  senderName: ((contactId: string | null | undefined) => string | undefined) | undefined,
): string | undefined {
  if (m.direction === "in") return senderName?.(m.contact_id);
  if (m.direction === "note" && !m.author_id) return SYSTEM_AUTHOR;
  return authorName?.(m.author_id);
}

export function Thread({
  messages,
  authorName,
  senderName,
  actions,
  now,
}: {
  messages: Message[];
  authorName?: (id: string | null | undefined) => string | undefined;
  /** The customer an inbound message is from, where there are several. */
  senderName?: (contactId: string | null | undefined) => string | undefined;
  actions?: ThreadActions;
  now?: Date;
}) {
  const items = groupCopies(messages);
  const ref = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);
  const count = messages.length;

  // Stay at the newest message while the reader is there; leave them alone when they
  // scrolled up to read older ones.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    };
    el.addEventListener("scroll", onScroll);
    return () => el.removeEventListener("scroll", onScroll);
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [count]);

  return (
    <ol className="thread" ref={ref} aria-label="Messages" aria-live="polite" aria-relevant="additions">
      {items.map(({ m, copies }, i) => {
        const newDay = i === 0 || !sameDay(items[i - 1].m.created_at, m.created_at);
        return (
          <Fragment key={m.id}>
            {newDay ? (
              <li className="day-separator">
                <span>{dayLabel(m.created_at, now)}</span>
              </li>
            ) : null}
            <li className={`thread-item thread-${m.direction}`}>
              <MessageBubble
                m={m}
                copies={copies}
                author={authorOf(m, authorName, senderName)}
                actions={actions}
              />
            </li>
          </Fragment>
        );
      })}
    </ol>
  );
}
