// Writing into a conversation. Enter sends, Shift+Enter starts a new line. When
// WhatsApp's 24-hour window is closed only an approved template may go out, so the
// text box gives way to the template picker (internal notes, never sent, stay possible).
// A reply may carry one file: it is uploaded as soon as it is picked, so the channel's
// limits are checked before anything is written, and the text goes as its caption.
// Outside the workspace's business hours a reply waits until they open unless it is
// marked urgent; the composer says so, with the box to tick (a note is never held).
import { useContext, useEffect, useRef, useState, type ChangeEvent, type FormEvent, type KeyboardEvent } from "react";
import { postForm } from "../api/client";
import type { MediaFile, MessageRequest, Template } from "../api/types";
import { fileSize, opening } from "../lib/format";
import { useClosedHours } from "../lib/hours";
import { useAction } from "../lib/useAction";
import { WorkspaceContext } from "../workspace";
import { ErrorText, fieldError } from "./Feedback";
import { AudioIcon, DocumentIcon, PaperclipIcon, SendIcon, VideoIcon } from "./Icons";
import { TemplatePicker } from "./TemplatePicker";

export const MAX_TEXT = 4096;

/** The files the server takes to send (at most 16 MB; a channel may allow less). */
export const ATTACH_ACCEPT = ".jpg,.jpeg,.png,.gif,.webp,.mp4,.webm,.mp3,.wav,.pdf,.doc,.docx,.xls";

/** A picked file: uploading until the server answers with what it stored. */
interface Attachment {
  local: File;
  uploaded?: MediaFile;
}

/** The picture types the thread shows inline, and so the chip previews. */
const PICTURE = /^image\/(jpeg|png|gif|webp)$/;

/** A picked picture, seen from the agent's own disk before it goes out. */
function Thumbnail({ file }: { file: File }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    // The object URL holds the file in memory until revoked: it lives as long as the chip.
    const url = URL.createObjectURL(file);
    setSrc(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);
  return src ? <img src={src} alt="" /> : null;
}

function AttachmentChip({ a, onRemove }: { a: Attachment; onRemove: () => void }) {
  const type = a.uploaded?.mime_type ?? a.local.type;
  const name = a.uploaded?.filename ?? a.local.name;
  return (
    <div className={`attachment${a.uploaded ? "" : " attachment-uploading"}`} role="group" aria-label="Attachment">
      <span className="attachment-preview">
        {PICTURE.test(type) ? (
          <Thumbnail file={a.local} />
        ) : type.startsWith("video/") ? (
          <VideoIcon />
        ) : type.startsWith("audio/") ? (
          <AudioIcon />
        ) : (
          <DocumentIcon />
        )}
      </span>
      <span className="attachment-text">
        <span className="attachment-name" title={name}>
          {name}
        </span>
        {a.uploaded ? (
          <span className="attachment-size">{fileSize(a.uploaded.size)}</span>
        ) : (
          <span className="attachment-size" role="status">
            <span className="spinner" aria-hidden="true" /> Uploading…
          </span>
        )}
      </span>
      <button type="button" className="icon-btn small" aria-label="Remove attachment" title="Remove attachment" onClick={onRemove}>
        ×
      </button>
    </div>
  );
}

/** What to say about a refused upload: the server's words about the file, after its name. */
function uploadRefusal(name: string, err: unknown): unknown {
  const file = fieldError(err, "file");
  if (file) return `${name} ${file}`;
  const conn = fieldError(err, "connection_id");
  if (conn) return `The conversation's connection ${conn}`;
  return err;
}

export function Composer({
  onSend,
  windowClosed,
  windowNote,
  connection,
  allowNotes,
  placeholder = "Type a message",
}: {
  onSend: (req: MessageRequest) => Promise<unknown>;
  windowClosed?: boolean;
  /** Why only templates can go out, when it is not one customer's closed window. */
  windowNote?: string;
  /** the conversation's connection, whose approved templates the picker lists and whose channel's limits an upload is checked against */
  connection?: string;
  allowNotes?: boolean;
  placeholder?: string;
}) {
  const w = useContext(WorkspaceContext);
  const [text, setText] = useState("");
  const [note, setNote] = useState(false);
  const [attached, setAttached] = useState<Attachment | null>(null);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const uploads = useRef<AbortController | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const { busy, error, setError, run } = useAction();
  const submit = (req: MessageRequest) => run(() => onSend(req));
  const closedHours = useClosedHours(w?.slug);
  const [urgent, setUrgent] = useState(false);
  // Only a reply written while the hours are closed is held, so only then does it say urgent.
  const holding = !!closedHours && !note;
  const withUrgency = (req: MessageRequest): MessageRequest => (holding && urgent ? { ...req, urgent: true } : req);

  // An upload still under way when the conversation is left has no message to go in.
  useEffect(() => () => uploads.current?.abort(), []);

  const uploading = !!attached && !attached.uploaded;

  const detach = () => {
    uploads.current?.abort();
    uploads.current = null;
    setAttached(null);
  };

  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    // Emptied so that the same file can be picked again after it was removed.
    e.target.value = "";
    if (!file || !w) return;
    uploads.current?.abort();
    const ctl = new AbortController();
    uploads.current = ctl;
    setUploadError(null);
    setError(null);
    setAttached({ local: file });
    const form = new FormData();
    if (connection) form.append("connection_id", connection);
    form.append("file", file, file.name);
    try {
      const uploaded = await postForm("/api/v1/workspaces/{workspace}/media", { path: { workspace: w.slug }, form, signal: ctl.signal });
      if (!ctl.signal.aborted) setAttached({ local: file, uploaded });
    } catch (err) {
      if (ctl.signal.aborted) return; // removed, or replaced by another file
      setAttached(null);
      setUploadError(uploadRefusal(file.name, err));
    } finally {
      if (uploads.current === ctl) uploads.current = null;
    }
  };

  // The box empties at once (the message shows in the thread as it goes out); a
  // refused message comes back into it unless something new was typed meanwhile,
  // and so does its attachment unless another was picked.
  const sendText = async () => {
    const file = note ? null : attached;
    if (busy || uploading || (!file && !text.trim())) return;
    const sending = text;
    setText("");
    setUploadError(null);
    let req: MessageRequest;
    let after: MessageRequest | null = null;
    if (file?.uploaded) {
      setAttached(null);
      let said = sending.trim() ? sending : "";
      if (said && file.uploaded.mime_type.startsWith("audio/")) {
        // A sound file carries no caption (WhatsApp refuses one): the words follow
        // it as a message of their own.
        after = withUrgency({ type: "text", text: said });
        said = "";
      }
      req = withUrgency({ type: "media", text: said, media: said ? { file_id: file.uploaded.id, caption: said } : { file_id: file.uploaded.id } });
    } else {
      req = note ? { type: "note", text: sending } : withUrgency({ type: "text", text: sending });
    }
    if (!(await submit(req))) {
      setText((t) => t || sending);
      if (file) setAttached((a) => a ?? file);
      return;
    }
    // Urgent is chosen for one message: the next waits again unless ticked anew.
    if (!note) setUrgent(false);
    if (after && !(await submit(after))) setText((t) => t || sending);
  };

  const sendTemplate = async (t: Template) => {
    const ok = await submit(withUrgency({ type: "template", text: "", template: t }));
    if (ok) setUrgent(false);
    return ok;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void sendText();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void sendText();
  };

  // A note never leaves the team, so it has nothing to carry a file to.
  const toNote = () => {
    setNote(true);
    detach();
    setUploadError(null);
  };

  const showTemplates = windowClosed && !note;
  const canAttach = !!w && !note;
  const over = text.length > MAX_TEXT;
  const ready = note ? !!text.trim() : !!attached?.uploaded || !!text.trim();
  const refusedFile = fieldError(error, "media.file_id");

  return (
    <div className={`composer${note ? " composer-note" : ""}`}>
      {allowNotes ? (
        <div className="composer-modes" role="radiogroup" aria-label="Write">
          <label>
            <input type="radio" name="composer-mode" checked={!note} onChange={() => setNote(false)} /> Reply
          </label>
          <label>
            <input type="radio" name="composer-mode" checked={note} onChange={toNote} /> Internal note
          </label>
        </div>
      ) : null}
      {holding && closedHours ? (
        <div className="composer-hours notice notice-warn">
          <p>Outside business hours: messages wait until {closedHours.nextOpen ? opening(closedHours.nextOpen) : "they open"}</p>
          <label className="check">
            <input type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} /> Urgent — send now
          </label>
        </div>
      ) : null}
      {showTemplates ? (
        <TemplatePicker connection={connection} busy={busy} error={error} why={windowNote} onSend={sendTemplate} />
      ) : (
        <form className={`composer-form${canAttach ? " composer-attachable" : ""}`} onSubmit={onSubmit}>
          {canAttach && attached ? <AttachmentChip a={attached} onRemove={detach} /> : null}
          {canAttach ? (
            <>
              <button type="button" className="icon-btn attach-btn" aria-label="Attach a file" title="Attach a file" onClick={() => fileInput.current?.click()}>
                <PaperclipIcon />
              </button>
              <input ref={fileInput} type="file" accept={ATTACH_ACCEPT} hidden tabIndex={-1} onChange={(e) => void pick(e)} />
            </>
          ) : null}
          <label className="sr-only" htmlFor="composer-text">
            {note ? "Internal note" : "Message"}
          </label>
          <textarea
            id="composer-text"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder={note ? "Write a note only your team sees" : attached ? "Add a caption" : placeholder}
            rows={Math.min(6, Math.max(1, text.split("\n").length))}
            aria-describedby="composer-help"
            aria-invalid={over || fieldError(error, "text") ? true : undefined}
          />
          <button type="submit" className="send-btn" disabled={busy || uploading || !ready || over} aria-label={note ? "Add note" : "Send"}>
            <SendIcon />
          </button>
          <p id="composer-help" className={`composer-help${over ? " over" : ""}`}>
            Enter to send, Shift+Enter for a new line · {text.length}/{MAX_TEXT}
          </p>
        </form>
      )}
      {!showTemplates ? <ErrorText error={uploadError} /> : null}
      {!showTemplates ? <ErrorText error={refusedFile ? `The attachment ${refusedFile}` : error} /> : null}
    </div>
  );
}
