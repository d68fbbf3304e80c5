// Loading, empty and error states, the same everywhere.
import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../api/client";

/** A failure in the server's own words (or the network's). */
export function ErrorText({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" id={id}>
      {errorMessage(error)}
    </p>
  );
}

/** The message the server gave for one field of a 422. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fields[field] : undefined;
}

/**
 * The server's complaints about a list it was sent (field) and its single items
 * (field[i]), in words: each item by what the person typed or picked (names), else by
 * its place ("Recipient 3", from noun); the list as a whole by its name (whole) when
 * given, else in the server's words alone. Undefined when none is about the list.
 */
export function listFieldErrors(error: unknown, field: string, names: string[], noun: string, whole?: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const msgs = Object.entries(error.fields)
    .filter(([k]) => k === field || k.startsWith(`${field}[`))
    .map(([k, v]) => {
      const i = Number(/\[(\d+)\]/.exec(k)?.[1]);
      return Number.isNaN(i) ? (whole ? `${whole}: ${v}` : v) : `${names[i] ?? `${noun} ${i + 1}`}: ${v}`;
    });
  return msgs.length ? msgs.join("; ") : undefined;
}

/**
 * The foot of a settings form: its refusal, then Save; or, for someone who may only
 * read the settings, readOnly saying who may change them.
 */
export function SaveFooter({ error, busy, readOnly }: { error: unknown; busy: boolean; readOnly?: string }) {
  return (
    <>
      <ErrorText error={error} />
      {readOnly ? (
        <p className="hint">{readOnly}</p>
      ) : (
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Save
          </button>
        </div>
      )}
    </>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  );
}
