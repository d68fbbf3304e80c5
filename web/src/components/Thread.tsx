// A conversation's messages, oldest first, as bubbles under day separators.
import { Fragment, useEffect, useLayoutEffect, useRef } from "react";
import type { Message } from "../api/types";
import { clock, dayLabel, sameDay } from "../lib/format";
import { InfoIcon } from "./Icons";
import { Ticks } from "./Ticks";

export interface ThreadActions {
  retry?: (m: Message) => void;
  sendNow?: (m: Message) => void;
  cancel?: (m: Message) => void;
  info?: (m: Message) => void;
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
          {t.body?.length || t.named ? (
            <span className="msg-params">
              {" · "}
              {[...(t.body ?? []), ...Object.entries(t.named ?? {}).map(([k, v]) => `${k}: ${v}`)].join(", ")}
            </span>
          ) : null}
        </p>
      ) : null}
      {media ? (
        <p className="msg-media">
          <a href={media.url} target="_blank" rel="noreferrer noopener">
            {media.filename || media.mime_type || "Attachment"}
          </a>
        </p>
      ) : null}
      {loc ? (
        <p className="msg-location">
          📍 {loc.name || "Location"} ({loc.latitude.toFixed(5)}, {loc.longitude.toFixed(5)}){loc.address ? ` · ${loc.address}` : ""}
        </p>
      ) : null}
      {m.type === "unsupported" && !m.body ? <p className="msg-muted">This message type is not shown here.</p> : null}
      {m.body ? <p className="msg-text">{m.body}</p> : null}
    </>
  );
}

export function MessageBubble({
  m,
  author,
  actions,
}: {
  m: Message;
  author?: string;
  actions?: ThreadActions;
}) {
  const cls = m.direction === "in" ? "msg msg-in" : m.direction === "note" ? "msg msg-note" : "msg msg-out";
  const when = m.scheduled_at && m.status === "scheduled" ? m.scheduled_at : m.created_at;
  return (
    <div className={cls} data-message-id={m.id} data-status={m.status}>
      {m.direction === "note" ? <p className="msg-author">Internal note{author ? ` · ${author}` : ""}</p> : null}
      {m.direction === "out" && author ? <p className="msg-author">{author}</p> : null}
      <Body m={m} />
      <div className="msg-meta">
        {m.direction === "out" && actions ? (
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
        {m.direction === "out" ? <Ticks status={m.status} reason={m.reason} /> : null}
      </div>
    </div>
  );
}

export function Thread({
  messages,
  authorName,
  actions,
  now,
}: {
  messages: Message[];
  authorName?: (id: string | null | undefined) => string | undefined;
  actions?: ThreadActions;
  now?: Date;
}) {
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
      {messages.map((m, i) => {
        const newDay = i === 0 || !sameDay(messages[i - 1].created_at, m.created_at);
        return (
          <Fragment key={m.id}>
            {newDay ? (
              <li className="day-separator">
                <span>{dayLabel(m.created_at, now)}</span>
              </li>
            ) : null}
            <li className={`thread-item thread-${m.direction}`}>
              <MessageBubble m={m} author={m.direction !== "in" ? authorName?.(m.author_id) : undefined} actions={actions} />
            </li>
          </Fragment>
        );
      })}
    </ol>
  );
}
