// Writing into a conversation. Enter sends, Shift+Enter starts a new line. When
// WhatsApp's 24-hour window is closed only an approved template may go out, so the
// text box gives way to the template picker (internal notes, never sent, stay possible).
import { useState, type FormEvent, type KeyboardEvent } from "react";
import type { MessageRequest } from "../api/types";
import { ErrorText, fieldError } from "./Feedback";
import { SendIcon } from "./Icons";
import { TemplatePicker } from "./TemplatePicker";

export const MAX_TEXT = 4096;

export function Composer({
  onSend,
  windowClosed,
  allowNotes,
  placeholder = "Type a message",
}: {
  onSend: (req: MessageRequest) => Promise<unknown>;
  windowClosed?: boolean;
  allowNotes?: boolean;
  placeholder?: string;
}) {
  const [text, setText] = useState("");
  const [note, setNote] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (req: MessageRequest) => {
    setBusy(true);
    setError(null);
    try {
      await onSend(req);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const sendText = async () => {
    if (busy || !text.trim()) return;
    if (await submit({ type: note ? "note" : "text", text })) setText("");
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
        <TemplatePicker busy={busy} error={error} onSend={(t) => submit({ type: "template", text: "", template: t })} />
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
