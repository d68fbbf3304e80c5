// Writing into a conversation. Enter or Ctrl+Enter (⌘Enter on a Mac) sends,
// Shift+Enter starts a new line. When WhatsApp's 24-hour window is closed only an
// approved template may go out, so the text box gives way to the template picker
// (internal notes, never sent, stay possible).
// A reply may carry one file: it is uploaded as soon as it is picked, so the channel's
// limits are checked before anything is written, and the text goes as its caption.
// Outside the workspace's business hours a reply waits until they open unless it is
// marked urgent; the composer says so, with the box to tick (a note is never held).
// Ctrl+B (⌘B on a Mac) makes the selection bold the way WhatsApp writes it, *so*; the
// emoji button puts one where the caret is. A reply may also be a location, or wait
// until a chosen time (scheduled); neither applies to a note. On an SMS connection the
// counter also says how many parts (credits) the text is. A member who may read the
// team's canned responses types "/" and a shortcut, or Ctrl+/ (⌘/), to put one in, the
// customer's details and their own name filled in (see CannedPicker). On a ticket,
// Alt+N (⌥N), or Ctrl+N (⌘N) where the browser lets the page have it, in the
// conversation switches between a reply and an internal note (see ComposerControls).
import {
  useContext,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type ChangeEvent,
  type FormEvent,
  type KeyboardEvent,
  type Ref,
} from "react";
import { uploadMedia, uploadRefusal } from "../api/client";
import type { MediaFile, MessageRequest } from "../api/types";
import { cannedValues, fillCanned, type CannedCustomer } from "../lib/canned";
import { insertAt, textLength, toggleBold, type Edit } from "../lib/editing";
import { ariaShortcut, isShortcut, withAlt, withModifier } from "../lib/keys";
import { smsParts } from "../lib/segments";
import { fileSize, opening } from "../lib/format";
import { useClosedHours } from "../lib/hours";
import type { TemplateMessage } from "../lib/templates";
import { useAction } from "../lib/useAction";
import { useSignedInUser } from "../session";
import { WorkspaceContext } from "../workspace";
import { useCannedPicker } from "./CannedPicker";
import { EmojiPicker, LocationDialog, MoreMenu, ScheduleDialog, type SharedLocation } from "./ComposerTools";
import { ErrorText, fieldError } from "./Feedback";
import { AudioIcon, ClockIcon, DocumentIcon, LocationIcon, PaperclipIcon, SendIcon, VideoIcon } from "./Icons";
import { TemplatePicker } from "./TemplatePicker";

/** The longest text, in characters as the server counts them (see textLength). */
export const MAX_TEXT = 4096;

/** What the conversation around the composer may ask of it, for its keyboard shortcuts. */
export interface ComposerControls {
  /** Switches between a reply and an internal note, the text box taking the focus. */
  toggleNote: () => void;
  /** Whether something is written or picked (words, a file, a template's values) that closing would lose. */
  hasDraft: () => boolean;
}

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

export function Composer({
  onSend,
  windowClosed,
  windowNote,
  connection,
  allowNotes,
  customer,
  placeholder = "Type a message",
  onTyping,
  ref,
}: {
  onSend: (req: MessageRequest) => Promise<unknown>;
  windowClosed?: boolean;
  /** Why only templates can go out, when it is not one customer's closed window. */
  windowNote?: string;
  /** the conversation's connection, whose approved templates the picker lists and whose channel's limits an upload is checked against */
  connection?: string;
  allowNotes?: boolean;
  /**
   * The customer the reply goes to, whose details a canned response's text may name;
   * none when it is not known (a message to several recipients), and their tokens
   * then stay in the text.
   */
  customer?: CannedCustomer | null;
  placeholder?: string;
  /** Called as words are typed into the box, to tell the others who see the conversation. */
  onTyping?: () => void;
  ref?: Ref<ComposerControls>;
}) {
  const w = useContext(WorkspaceContext);
  const user = useSignedInUser();
  const [text, setText] = useState("");
  const [note, setNote] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  // The selection to put back once an edit made here (bold, an emoji) is on screen.
  const selection = useRef<Edit | null>(null);
  const [dialog, setDialog] = useState<"location" | "schedule" | null>(null);
  const [attached, setAttached] = useState<Attachment | null>(null);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const uploads = useRef<AbortController | null>(null);
  // The template form holds values a send would use.
  const templateDraft = useRef(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const { busy, error, setError, run } = useAction();
  const submit = (req: MessageRequest) => run(() => onSend(req));
  const closedHours = useClosedHours(w?.slug);
  // An SMS is charged by the part: the count shows as it is typed.
  const sms = w?.connections?.find((c) => c.id === connection)?.kind === "sms";
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
    try {
      const uploaded = await uploadMedia(w.slug, file, connection, ctl.signal);
      if (!ctl.signal.aborted) setAttached({ local: file, uploaded });
    } catch (err) {
      if (ctl.signal.aborted) return; // removed, or replaced by another file
      setAttached(null);
      setUploadError(uploadRefusal(file.name, err));
    } finally {
      if (uploads.current === ctl) uploads.current = null;
    }
  };

  /**
   * The box and the chip as the messages that carry them: the text, a note, or the file
   * with the text as its caption. A sound file carries no caption (WhatsApp refuses
   * one): its words follow it as a message of their own.
   */
  const outgoing = (sending: string, file: Attachment | null): MessageRequest[] => {
    if (note) return [{ type: "note", text: sending }];
    if (!file?.uploaded) return [{ type: "text", text: sending }];
    let said = sending.trim() ? sending : "";
    const after: MessageRequest[] = [];
    if (said && file.uploaded.mime_type.startsWith("audio/")) {
      after.push({ type: "text", text: said });
      said = "";
    }
    return [{ type: "media", text: said, media: said ? { file_id: file.uploaded.id, caption: said } : { file_id: file.uploaded.id } }, ...after];
  };

  // The box empties at once (the message shows in the thread as it goes out); a
  // refused message comes back into it unless something new was typed meanwhile,
  // and so does its attachment unless another was picked. go sends one message and
  // says whether it went; each message is first given what applies to this send.
  const dispatch = async (go: (req: MessageRequest) => Promise<boolean>, apply: (req: MessageRequest, i: number) => MessageRequest) => {
    const file = note ? null : attached;
    const sending = text;
    setText("");
    setUploadError(null);
    if (file?.uploaded) setAttached(null);
    const [first, ...rest] = outgoing(sending, file).map(apply);
    if (!(await go(first))) {
      setText((t) => t || sending);
      if (file) setAttached((a) => a ?? file);
      return false;
    }
    for (const req of rest) {
      if (!(await go(req))) {
        setText((t) => t || sending);
        return false;
      }
    }
    return true;
  };

  // Something to send: words in the box, or a file the server has taken.
  const ready = note ? !!text.trim() : !!attached?.uploaded || !!text.trim();
  const over = textLength(text) > MAX_TEXT;

  const sendText = async () => {
    if (busy || uploading || !ready) return;
    await dispatch(
      async (req) => {
        const ok = await submit(req);
        // Urgent is chosen for one message (the words after a sound file were marked
        // with it already): the next waits again unless ticked anew.
        if (ok && !note) setUrgent(false);
        return ok;
      },
      (req) => withUrgency(req),
    );
  };

  /** Sends what the composer holds at a time (RFC 3339); throws the server's refusal. */
  const schedule = async (at: string) => {
    let refused: unknown = null;
    const ok = await dispatch(
      async (req) => {
        try {
          await onSend(req);
          return true;
        } catch (err) {
          refused = err;
          return false;
        }
      },
      // The words after a sound file go a second after it, so that they still follow it.
      (req, i) => ({ ...req, schedule_at: i === 0 ? at : new Date(Date.parse(at) + i * 1000).toISOString() }),
    );
    if (!ok) throw refused;
  };

  /** Sends a place as a message of its own; throws the server's refusal. */
  const sendLocation = async (location: SharedLocation) => {
    await onSend(withUrgency({ type: "location", text: "", location }));
    setUrgent(false);
  };

  // The template, with the file its media header shows when one was uploaded.
  const sendTemplate = async (m: TemplateMessage) => {
    const ok = await submit(withUrgency({ type: "template", text: "", ...m }));
    if (ok) setUrgent(false);
    return ok;
  };

  /** Puts an edit in the box and, once it shows, the caret or selection it leaves. */
  const edit = (next: Edit) => {
    selection.current = next;
    setText(next.value);
  };
  useLayoutEffect(() => {
    const want = selection.current;
    const el = box.current;
    if (!want || !el) return;
    selection.current = null;
    el.focus();
    el.setSelectionRange(want.start, want.end);
  });

  const canned = useCannedPicker({
    slug: w?.slug,
    enabled: !!w?.can("canned:read"),
    text,
    fill: (body) => fillCanned(body, cannedValues(customer, user?.name)),
    onInsert: edit,
  });

  const insertEmoji = (emoji: string) => {
    const el = box.current;
    // Without a caret yet (the box never had focus) the emoji goes at the end.
    const start = el ? el.selectionStart : text.length;
    const end = el ? el.selectionEnd : text.length;
    edit(insertAt(text, start, end, emoji));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (canned.onKeyDown(e)) return;
    if (isShortcut(e, "b")) {
      e.preventDefault();
      edit(toggleBold(text, e.currentTarget.selectionStart, e.currentTarget.selectionEnd));
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void sendText();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void sendText();
  };

  // A note never leaves the team, so it has nothing to carry a file to: the file stays
  // with the reply (the note says so) and comes back with it.
  const toNote = () => {
    setNote(true);
    setUploadError(null);
  };

  useImperativeHandle(ref, () => ({
    hasDraft: () => text !== "" || !!attached || templateDraft.current,
    toggleNote: () => {
      if (note) setNote(false);
      else toNote();
      // The box takes the focus, the caret after what is written, to go on at once; a
      // reply outside the 24-hour window is a template, with no box to write in.
      if (!note || !windowClosed) selection.current = { value: text, start: text.length, end: text.length };
    },
  }));

  const showTemplates = windowClosed && !note;
  const canAttach = !!w && !note;
  const refusedFile = fieldError(error, "media.file_id");
  const file = attached?.uploaded;
  // What the schedule dialog says goes at the chosen time.
  const scheduled = !file
    ? "The message in the box goes out at the time you choose."
    : !text.trim()
      ? `${file.filename} goes out at the time you choose.`
      : file.mime_type.startsWith("audio/")
        ? `${file.filename} goes out at the time you choose, the words in the box just after it.`
        : `${file.filename} goes out at the time you choose, with the words in the box as its caption.`;

  return (
    <div className={`composer${note ? " composer-note" : ""}`}>
      {allowNotes ? (
        <div className="composer-modes" role="radiogroup" aria-label="Write" title={`${withAlt("N")} (or ${withModifier("N")} where the browser allows) switches between a reply and an internal note`}>
          <label>
            <input type="radio" name="composer-mode" checked={!note} onChange={() => setNote(false)} /> Reply
          </label>
          <label>
            <input type="radio" name="composer-mode" checked={note} onChange={toNote} aria-keyshortcuts={`Alt+N ${ariaShortcut("N")}`} /> Internal note
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
        <TemplatePicker connection={connection} busy={busy} error={error} why={windowNote} onSend={sendTemplate} onDraft={(d) => void (templateDraft.current = d)} />
      ) : (
        <form className="composer-form" onSubmit={onSubmit}>
          {canAttach && attached ? <AttachmentChip a={attached} onRemove={detach} /> : null}
          {note && attached ? (
            <p className="composer-kept hint" role="status">
              {attached.local.name} stays with the reply: a note carries no file.
            </p>
          ) : null}
          <div className="composer-tools">
            {canAttach ? (
              <>
                <button type="button" className="icon-btn tool-btn" aria-label="Attach a file" title="Attach a file" onClick={() => fileInput.current?.click()}>
                  <PaperclipIcon />
                </button>
                <input ref={fileInput} type="file" accept={ATTACH_ACCEPT} hidden tabIndex={-1} onChange={(e) => void pick(e)} />
              </>
            ) : null}
            <EmojiPicker onPick={insertEmoji} />
            {note ? null : (
              <MoreMenu
                items={[
                  { label: "Share a location…", icon: <LocationIcon />, run: () => setDialog("location") },
                  {
                    label: "Schedule…",
                    icon: <ClockIcon />,
                    run: () => setDialog("schedule"),
                    unavailable: uploading ? "The file is still uploading" : over ? "The message is too long" : !ready ? "Write a message or attach a file first" : undefined,
                  },
                ]}
              />
            )}
          </div>
          <label className="sr-only" htmlFor="composer-text">
            {note ? "Internal note" : "Message"}
          </label>
          <div className="composer-box">
            {canned.popup}
            <textarea
              ref={box}
              id="composer-text"
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                canned.track(e.target.value, e.target.selectionStart);
                // Emptying the box is not writing.
                if (e.target.value !== "") onTyping?.();
              }}
              onSelect={(e) => canned.track(e.currentTarget.value, e.currentTarget.selectionStart)}
              onBlur={canned.close}
              onKeyDown={onKeyDown}
              placeholder={note ? "Write a note only your team sees" : attached ? "Add a caption" : placeholder}
              rows={Math.min(6, Math.max(1, text.split("\n").length))}
              aria-describedby="composer-help"
              aria-invalid={over || fieldError(error, "text") ? true : undefined}
              {...canned.boxProps}
            />
          </div>
          <button type="submit" className="send-btn" disabled={busy || uploading || !ready || over} aria-label={note ? "Add note" : "Send"}>
            <SendIcon />
          </button>
          <p id="composer-help" className={`composer-help${over ? " over" : ""}`}>
            Enter or {withModifier("Enter")} to send, Shift+Enter for a new line, {withModifier("B")} for bold
            {w?.can("canned:read") ? `, / or ${withModifier("/")} for a canned response` : ""} · {textLength(text)}/{MAX_TEXT}
            {sms && !note && text ? ` · ${smsParts(text)} SMS ${smsParts(text) === 1 ? "part" : "parts"}, a credit each` : ""}
          </p>
        </form>
      )}
      {dialog === "location" && !note && !showTemplates ? <LocationDialog onSend={sendLocation} onClose={() => setDialog(null)} /> : null}
      {dialog === "schedule" && !note && !showTemplates ? <ScheduleDialog what={scheduled} onSchedule={schedule} onClose={() => setDialog(null)} /> : null}
      {!showTemplates ? <ErrorText error={uploadError} /> : null}
      {!showTemplates ? <ErrorText error={refusedFile ? `The attachment ${refusedFile}` : error} /> : null}
    </div>
  );
}
