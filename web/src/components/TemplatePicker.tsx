// Choosing one of a connection's approved templates and filling what it needs: the
// body's parameters, a media header's file (a public link, or a file uploaded to the
// workspace as soon as it is picked) or a text header's placeholder, dynamic button
// links and a copy code, with a preview of the body as the customer will read it.
//
// The templates come from the provider through the connection's plugin. Only when
// that list is empty (a channel without templates, an account without approved ones,
// or no connection to ask) is the template's name typed by hand.
import { useEffect, useMemo, useRef, useState, type ChangeEvent } from "react";
import { call, uploadMedia, uploadRefusal } from "../api/client";
import type { ListedTemplate } from "../api/types";
import { useAsync, type Async } from "../lib/useAsync";
import {
  complete,
  describeTemplate,
  fitsHeader,
  HEADER_ACCEPT,
  NO_VALUES,
  substitute,
  templateMessage,
  type MediaFormat,
  type TemplateMessage,
  type TemplateShape,
  type TemplateValues,
} from "../lib/templates";
import { useWorkspace } from "../workspace";
import { ErrorText, fieldError, Loading } from "./Feedback";
import { Field } from "./Field";

interface Manual {
  name: string;
  language: string;
  params: string[];
}

export interface TemplateChoice {
  /** the connection's templates; null when there is no connection to ask */
  list: Async<ListedTemplate[] | null>;
  shapes: TemplateShape[];
  chosen: TemplateShape | undefined;
  choose: (key: string) => void;
  values: TemplateValues;
  setValues: (fn: (v: TemplateValues) => TemplateValues) => void;
  /** the name typed by hand, when the list is empty */
  manual: Manual | null;
  setManual: (fn: (m: Manual) => Manual) => void;
  /** what to send (the template, and the media header's uploaded file); null while something is missing or uploading */
  message: TemplateMessage | null;
  /** empties the values after a send */
  reset: () => void;
  /** the name of the header file being uploaded, while it is */
  uploading: string | null;
  /** why the header file was not taken */
  uploadError: unknown;
  /** uploads a file for the chosen template's media header */
  uploadHeader: (file: File) => Promise<void>;
  /** drops the header file (uploaded or uploading) */
  removeHeaderFile: () => void;
}

const HEADER_FILES: Record<MediaFormat, string> = { IMAGE: "a jpg or png image", VIDEO: "an mp4 video", DOCUMENT: "a pdf document" };

/** The state of a template choice for a connection, kept by the form that sends it. */
export function useTemplateChoice(connection: string | undefined): TemplateChoice {
  const w = useWorkspace();
  const list = useAsync(
    async (signal) =>
      connection
        ? (await call("get", "/api/v1/workspaces/{workspace}/connections/{connection}/templates", { path: { workspace: w.slug, connection }, signal })).items
        : null,
    [w.slug, connection],
  );
  const shapes = useMemo(() => (list.data ?? []).map(describeTemplate), [list.data]);
  const [key, setKey] = useState("");
  const [values, setValues] = useState<TemplateValues>(NO_VALUES);
  const [manual, setManual] = useState<Manual>({ name: "", language: "en_US", params: [] });
  const [uploading, setUploading] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const uploads = useRef<AbortController | null>(null);

  /** Stops an upload under way (its file is no longer wanted) and forgets its refusal. */
  const stopUpload = () => {
    uploads.current?.abort();
    uploads.current = null;
    setUploading(null);
    setUploadError(null);
  };
  // An upload still under way when the form goes has nothing to go with.
  useEffect(() => () => uploads.current?.abort(), []);
  useEffect(() => {
    setKey("");
    setValues(NO_VALUES);
    stopUpload();
  }, [connection]);

  const chosen = shapes.find((s) => s.key === key) ?? shapes[0];
  const byHand = list.data === null || (list.data !== undefined && list.data.length === 0);
  let message: TemplateMessage | null = null;
  if (byHand && manual.name.trim()) {
    const template: TemplateMessage["template"] = { name: manual.name.trim(), language: manual.language.trim() };
    const body = manual.params.map((p) => p.trim());
    if (body.length) template.body = body;
    message = { template };
  } else if (!byHand && chosen && !uploading && complete(chosen, values)) {
    message = templateMessage(chosen, values);
  }

  const uploadHeader = async (file: File) => {
    const format = chosen?.mediaHeader;
    if (!format) return;
    stopUpload();
    setValues((x) => ({ ...x, headerFile: null }));
    if (!fitsHeader(format, file)) {
      setUploadError(`${file.name} cannot be the header: it takes ${HEADER_FILES[format]}.`);
      return;
    }
    const ctl = new AbortController();
    uploads.current = ctl;
    setUploading(file.name);
    try {
      const stored = await uploadMedia(w.slug, file, connection, ctl.signal);
      if (!ctl.signal.aborted) setValues((x) => ({ ...x, headerFile: { id: stored.id, filename: stored.filename } }));
    } catch (err) {
      if (!ctl.signal.aborted) setUploadError(uploadRefusal(file.name, err));
    } finally {
      // Unless removed, or replaced by another file meanwhile.
      if (uploads.current === ctl) {
        uploads.current = null;
        setUploading(null);
      }
    }
  };

  return {
    list,
    shapes,
    chosen,
    choose: (k) => {
      setKey(k);
      setValues(NO_VALUES);
      stopUpload();
    },
    values,
    setValues,
    manual: byHand ? manual : null,
    setManual,
    message,
    reset: () => {
      setValues(NO_VALUES);
      setManual((m) => ({ ...m, params: m.params.map(() => "") }));
      stopUpload();
    },
    uploading,
    uploadError,
    uploadHeader,
    removeHeaderFile: () => {
      stopUpload();
      setValues((x) => ({ ...x, headerFile: null }));
    },
  };
}

const MEDIA_LABEL = { IMAGE: "image", VIDEO: "video", DOCUMENT: "document" } as const;

/** What a listed template shows the customer, with the values filled in so far. */
function Preview({ s, v }: { s: TemplateShape; v: TemplateValues }) {
  const buttons = [...s.urlButtons, ...(s.copyCode ? ["Copy code"] : []), ...s.buttons];
  return (
    <section className="template-preview" aria-label="Preview">
      {s.headerText ? (
        <p className="template-header">{s.headerParam ? substitute(s.headerText, { [s.headerParam]: v.headerText }) : s.headerText}</p>
      ) : null}
      {s.mediaHeader ? (
        <p className="template-media">
          [{MEDIA_LABEL[s.mediaHeader]}
          {v.headerFile ? `: ${v.headerFile.filename}` : v.headerUrl.trim() ? `: ${v.headerUrl.trim()}` : ""}]
        </p>
      ) : null}
      <p className="template-body">{substitute(s.body, v.params)}</p>
      {s.footer ? <p className="template-footer">{s.footer}</p> : null}
      {buttons.length ? (
        <p className="template-buttons">
          {buttons.map((b, i) => (
            <span key={i} className="template-button">
              {b}
            </span>
          ))}
        </p>
      ) : null}
    </section>
  );
}

/**
 * A media header's file: a public link, or a file uploaded as soon as it is picked
 * (then shown by its name, and the link is not needed).
 */
function MediaHeader({ choice, format, error, errorPrefix }: { choice: TemplateChoice; format: MediaFormat; error?: unknown; errorPrefix: string }) {
  const { values: v, setValues } = choice;
  const kind = MEDIA_LABEL[format];
  // Where the API names the message's uploaded file: beside the template.
  const fileField = `${errorPrefix.replace(/template$/, "media")}.file_id`;
  const refusedFile = fieldError(error, fileField);
  const pick = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    // Emptied so that the same file can be picked again after it was removed.
    e.target.value = "";
    if (file) void choice.uploadHeader(file);
  };
  return (
    <>
      <Field
        label={`Header ${kind} link`}
        hint={v.headerFile ? `Not needed: the uploaded ${kind} goes instead.` : "A public https link to the file."}
        error={fieldError(error, `${errorPrefix}.header_url`)}
      >
        <input type="url" value={v.headerUrl} onChange={(e) => setValues((x) => ({ ...x, headerUrl: e.target.value }))} required={!v.headerFile} autoComplete="off" />
      </Field>
      {v.headerFile ? (
        <div className={`field${refusedFile ? " field-invalid" : ""}`} role="group" aria-label={`Header ${kind} file`}>
          <div className="row">
            <span className="attachment-name" title={v.headerFile.filename}>
              {v.headerFile.filename}
            </span>
            <button type="button" className="btn" onClick={choice.removeHeaderFile}>
              Remove
            </button>
          </div>
          {refusedFile ? <p className="field-error">{refusedFile}</p> : null}
        </div>
      ) : (
        <Field label={`Or upload the ${kind}`} hint={`${HEADER_FILES[format][0].toUpperCase()}${HEADER_FILES[format].slice(1)}.`} error={refusedFile}>
          <input type="file" accept={HEADER_ACCEPT[format]} onChange={pick} />
        </Field>
      )}
      {choice.uploading ? (
        <p className="hint" role="status">
          <span className="spinner" aria-hidden="true" /> Uploading {choice.uploading}…
        </p>
      ) : null}
      <ErrorText error={choice.uploadError} />
    </>
  );
}

function Listed({ choice, s, error, errorPrefix }: { choice: TemplateChoice; s: TemplateShape; error?: unknown; errorPrefix: string }) {
  const { values: v, setValues } = choice;
  const setParam = (p: string, value: string) => setValues((x) => ({ ...x, params: { ...x.params, [p]: value } }));
  return (
    <>
      <Field label="Template">
        <select value={s.key} onChange={(e) => choice.choose(e.target.value)}>
          {choice.shapes.map((t) => (
            <option key={t.key} value={t.key}>
              {t.template.name} ({t.template.language}){t.template.category ? ` · ${t.template.category}` : ""}
            </option>
          ))}
        </select>
      </Field>
      {s.params.length || s.mediaHeader || s.headerParam || s.urlButtons.length || s.copyCode ? (
        <fieldset className="template-params">
          <legend>Parameters</legend>
          {s.mediaHeader ? <MediaHeader choice={choice} format={s.mediaHeader} error={error} errorPrefix={errorPrefix} /> : null}
          {s.headerParam ? (
            <Field label={`Header {{${s.headerParam}}}`}>
              <input
                value={v.headerText}
                onChange={(e) => setValues((x) => ({ ...x, headerText: e.target.value }))}
                placeholder={s.headerExample}
                required
                autoComplete="off"
              />
            </Field>
          ) : null}
          {s.params.map((p) => (
            <Field key={p} label={`{{${p}}}`}>
              <input value={v.params[p] ?? ""} onChange={(e) => setParam(p, e.target.value)} placeholder={s.examples[p]} required autoComplete="off" />
            </Field>
          ))}
          {s.urlButtons.map((b, i) => (
            <Field key={`b${i}`} label={`Link ending of “${b}”`} hint="Added to the end of the button's link.">
              <input
                value={v.buttonUrls[i] ?? ""}
                onChange={(e) => setValues((x) => ({ ...x, buttonUrls: Object.assign([...x.buttonUrls], { [i]: e.target.value }) }))}
                required
                autoComplete="off"
              />
            </Field>
          ))}
          {s.copyCode ? (
            <Field label="Code to copy" hint="What the Copy code button copies.">
              <input value={v.copyCode} onChange={(e) => setValues((x) => ({ ...x, copyCode: e.target.value }))} required autoComplete="off" />
            </Field>
          ) : null}
        </fieldset>
      ) : null}
      <Preview s={s} v={v} />
    </>
  );
}

function ByHand({ choice, m, error, errorPrefix }: { choice: TemplateChoice; m: Manual; error?: unknown; errorPrefix: string }) {
  const set = (patch: Partial<Manual>) => choice.setManual((x) => ({ ...x, ...patch }));
  return (
    <>
      <p className="hint">No approved templates are listed for this number; type the name of one the provider approved.</p>
      <div className="template-row">
        <Field label="Template name" error={fieldError(error, `${errorPrefix}.name`)}>
          <input value={m.name} onChange={(e) => set({ name: e.target.value })} required placeholder="order_update" autoComplete="off" />
        </Field>
        <Field label="Language" error={fieldError(error, `${errorPrefix}.language`)}>
          <input value={m.language} onChange={(e) => set({ language: e.target.value })} required size={8} autoComplete="off" />
        </Field>
      </div>
      <fieldset className="template-params">
        <legend>Parameters</legend>
        {m.params.map((p, i) => (
          <Field key={i} label={`{{${i + 1}}}`}>
            <input value={p} onChange={(e) => set({ params: Object.assign([...m.params], { [i]: e.target.value }) })} autoComplete="off" />
          </Field>
        ))}
        <div className="row">
          <button type="button" className="btn" onClick={() => set({ params: [...m.params, ""] })}>
            Add parameter
          </button>
          {m.params.length ? (
            <button type="button" className="btn" onClick={() => set({ params: m.params.slice(0, -1) })}>
              Remove last
            </button>
          ) : null}
        </div>
      </fieldset>
    </>
  );
}

/**
 * The fields of a template choice, inside the form that sends it. errorPrefix is where
 * the API puts the template in its field messages ("template", "message.template").
 */
export function TemplateFields({ choice, error, errorPrefix = "template" }: { choice: TemplateChoice; error?: unknown; errorPrefix?: string }) {
  const { list } = choice;
  if (list.loading && list.data === undefined) return <Loading label="Loading templates…" />;
  if (list.error && list.data === undefined) {
    return (
      <div className="template-error">
        <ErrorText error={list.error} />
        <button type="button" className="btn" onClick={() => void list.reload()}>
          Try again
        </button>
      </div>
    );
  }
  if (choice.manual) return <ByHand choice={choice} m={choice.manual} error={error} errorPrefix={errorPrefix} />;
  return choice.chosen ? <Listed choice={choice} s={choice.chosen} error={error} errorPrefix={errorPrefix} /> : null;
}

/** The composer's template form, for a conversation whose 24-hour window is closed. */
export function TemplatePicker({
  connection,
  onSend,
  busy,
  error,
  why = "The 24-hour window is closed: the customer has not written in the last 24 hours, so only an approved template can be sent.",
}: {
  connection: string | undefined;
  /** sends the template (with its header's uploaded file beside it); says whether it went */
  onSend: (m: TemplateMessage) => Promise<boolean>;
  busy?: boolean;
  error?: unknown;
  /** Why only a template can go out. */
  why?: string;
}) {
  const choice = useTemplateChoice(connection);
  return (
    <form
      className="template-picker"
      aria-label="Send a template"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (choice.message && (await onSend(choice.message))) choice.reset();
      }}
    >
      <p className="template-note" role="note">
        {why}
      </p>
      <TemplateFields choice={choice} error={error} />
      <ErrorText error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy || !choice.message}>
        Send template
      </button>
    </form>
  );
}
