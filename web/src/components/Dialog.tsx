// A modal dialog: focus moves in and stays in while it is open, Escape closes it, and
// focus returns to what opened it.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { ErrorText } from "./Feedback";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({
  title,
  onClose,
  children,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;
  // What had the focus when the dialog opened: taken as it first renders, since by the
  // time effects run a field of the dialog (autoFocus) may have the focus already.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);

  useEffect(() => {
    const el = ref.current;
    if (el && !el.contains(document.activeElement)) (el.querySelector<HTMLElement>(FOCUSABLE) ?? el).focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key !== "Tab" || !el) return;
      const items = Array.from(el.querySelectorAll<HTMLElement>(FOCUSABLE));
      if (items.length === 0) return;
      const a = items[0];
      const z = items[items.length - 1];
      if (e.shiftKey && document.activeElement === a) {
        e.preventDefault();
        z.focus();
      } else if (!e.shiftKey && document.activeElement === z) {
        e.preventDefault();
        a.focus();
      }
    };
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      opener?.focus?.();
    };
  }, [opener]);

  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className={`dialog${wide ? " dialog-wide" : ""}`} role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1}>
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
      </div>
    </div>
  );
}

/** A dialog form's last row: its error, Cancel, and the submit button. */
export function DialogActions({
  onCancel,
  busy,
  disabled,
  error,
  children,
}: {
  onCancel: () => void;
  busy?: boolean;
  disabled?: boolean;
  error?: unknown;
  /** the submit button's label */
  children: ReactNode;
}) {
  return (
    <>
      <ErrorText error={error} />
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || disabled}>
          {children}
        </button>
      </div>
    </>
  );
}

/**
 * A question before an action that costs something or cannot be taken back: what it
 * will do, a way out, and the action. The dialog closes before the action runs.
 */
export function ConfirmDialog({
  title,
  children,
  confirm,
  cancel = "Cancel",
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  /** the action's label */
  confirm: ReactNode;
  cancel?: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{children}</p>
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose}>
          {cancel}
        </button>
        <button
          type="button"
          className={`btn ${danger ? "btn-danger" : "btn-primary"}`}
          onClick={() => {
            onClose();
            onConfirm();
          }}
        >
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}
