// Writing into a conversation. Enter sends, Shift+Enter starts a new line. When
// WhatsApp's 24-hour window is closed only an approved template may go out, so the
// text box gives way to the template picker (internal notes, never sent, stay possible).
import { useState, type FormEvent, type KeyboardEvent } from "react";
import type { MessageRequest } from "../api/types";
import { useAction } from "../lib/useAction";
import { ErrorText, fieldError } from "./Feedback";
import { SendIcon } from "./Icons";
import { TemplatePicker } from "./TemplatePicker";

export const MAX_TEXT = 4096;

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
  /** the conversation's connection, whose approved templates the picker lists */
  connection?: string;
  allowNotes?: boolean;
  placeholder?: string;
}) {
  const [text, setText] = useState("");
  const [note, setNote] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (req: MessageRequest) => run(() => onSend(req));

  // The box empties at once (the message shows in the thread as it goes out); a
  // refused message comes back into it unless something new was typed meanwhile.
  const sendText = async () => {
    if (busy || !text.trim()) return;
    const sending = text;
    setText("");
    if (!(await submit({ type: note ? "note" : "text", text: sending }))) setText((t) => t || sending);
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

  const showTemplates = windowClosed && !note;
  const over = text.length > MAX_TEXT;

  return (
    <div className={`composer${note ? " composer-note" : ""}`}>
      {allowNotes ? (
        <div className="composer-modes" role="radiogroup" aria-label="Write">
          <label>
            <input type="radio" name="composer-mode" checked={!note} onChange={() => setNote(false)} /> Reply
          </label>
          <label>
            <input type="radio" name="composer-mode" checked={note} onChange={() => setNote(true)} /> Internal note
          </label>
        </div>
      ) : null}
      {showTemplates ? (
        <TemplatePicker connection={connection} busy={busy} error={error} why={windowNote} onSend={(t) => submit({ type: "template", text: "", template: t })} />
      ) : (
        <form className="composer-form" onSubmit={onSubmit}>
          <label className="sr-only" htmlFor="composer-text">
            {note ? "Internal note" : "Message"}
          </label>
          <textarea
            id="composer-text"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder={note ? "Write a note only your team sees" : placeholder}
            rows={Math.min(6, Math.max(1, text.split("\n").length))}
            aria-describedby="composer-help"
            aria-invalid={over || fieldError(error, "text") ? true : undefined}
          />
          <button type="submit" className="send-btn" disabled={busy || !text.trim() || over} aria-label={note ? "Add note" : "Send"}>
            <SendIcon />
          </button>
          <p id="composer-help" className={`composer-help${over ? " over" : ""}`}>
            Enter to send, Shift+Enter for a new line · {text.length}/{MAX_TEXT}
          </p>
        </form>
      )}
      {!showTemplates ? <ErrorText error={error} /> : null}
    </div>
  );
}
