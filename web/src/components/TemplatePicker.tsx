// Choosing one of a connection's approved templates and filling what it needs: the
// body's parameters, a media header's file (a public link, or a file uploaded to the
// workspace as soon as it is picked) or a text header's placeholder, dynamic button
// links and a copy code, with a preview of the body as the customer will read it.
//
// A value may name fields of the recipient ({{first_name}}, {{code}} …), which the
// server fills for each recipient: a parameter named after a detail of the contact, and
// an authentication template's code, start as that field, and buttons offer the fields
// to put in the value being typed.
//
// The templates come from the provider through the connection's plugin. Only when
// that list is empty (a channel without templates, an account without approved ones,
// or no connection to ask) is the template's name typed by hand.
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState, type ChangeEvent } from "react";
import { ApiError, call, uploadMedia, uploadRefusal } from "../api/client";
import type { ListedTemplate } from "../api/types";
import { insertAt } from "../lib/editing";
import { useAsync, type Async } from "../lib/useAsync";
import {
  complete,
  defaultValues,
  describeTemplate,
  fieldToken,
  filledParts,
  fitsHeader,
  HEADER_ACCEPT,
  NO_VALUES,
  RECIPIENT_FIELDS,
  templateMessage,
  type MediaFormat,
  type Part,
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
  /** the chosen template's values: its defaults until something is typed */
  values: TemplateValues;
  setValues: (fn: (v: TemplateValues) => TemplateValues) => void;
  /** the name typed by hand, when the list is empty */
  manual: Manual | null;
  setManual: (fn: (m: Manual) => Manual) => void;
  /** what to send (the template, and the media header's uploaded file); null while something is missing or uploading */
  message: TemplateMessage | null;
  /** puts the values back to the template's defaults after a send */
  reset: () => void;
  /** something was typed or picked that a send would use: a draft to keep */
  edited: boolean;
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
  // What was typed, and for which template: another template starts from its own defaults.
  const [typed, setTyped] = useState<{ key: string; values: TemplateValues } | null>(null);
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
    setTyped(null);
    stopUpload();
  }, [connection]);

  const chosen = shapes.find((s) => s.key === key) ?? shapes[0];
  const valuesOf = (t: typeof typed) => (chosen && t?.key === chosen.key ? t.values : chosen ? defaultValues(chosen) : NO_VALUES);
  const values = valuesOf(typed);
  const setValues = (fn: (v: TemplateValues) => TemplateValues) => setTyped((t) => ({ key: chosen?.key ?? "", values: fn(valuesOf(t)) }));
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

  const edited =
    (!!chosen && typed?.key === chosen.key) || (byHand && (!!manual.name.trim() || manual.params.some((p) => !!p.trim()))) || !!uploading;

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
      setTyped(null);
      stopUpload();
    },
    values,
    setValues,
    manual: byHand ? manual : null,
    setManual,
    message,
    edited,
    reset: () => {
      setTyped(null);
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

/** What a field stands for, said in words. */
function fieldMeaning(p: Exclude<Part, string>): string {
  const known = RECIPIENT_FIELDS.find((f) => f.field === p.field);
  const what =
    p.field === "code"
      ? "A fresh 6-digit code for each recipient"
      : known
        ? `Each recipient's ${known.label.toLowerCase()}`
        : `Each recipient's contact attribute “${p.field}”`;
  return p.fallback ? `${what}; “${p.fallback}” for one without` : what;
}

/** A filled text: a field shows as itself, marked, since every recipient gets their own value. */
function Filled({ parts }: { parts: Part[] }) {
  return (
    <>
      {parts.map((p, i) =>
        typeof p === "string" ? (
          <Fragment key={i}>{p}</Fragment>
        ) : (
          <span key={i} className="template-field" title={fieldMeaning(p)}>
            {p.token}
          </span>
        ),
      )}
    </>
  );
}

/** What a listed template shows the customer, with the values filled in so far. */
function Preview({ s, v }: { s: TemplateShape; v: TemplateValues }) {
  const buttons = [...s.urlButtons, ...(s.copyCode ? ["Copy code"] : []), ...s.buttons];
  const header = s.headerText ? (s.headerParam ? filledParts(s.headerText, { [s.headerParam]: v.headerText }) : [s.headerText]) : [];
  const body = filledParts(s.body, v.params);
  const fields = [...header, ...body].some((p) => typeof p !== "string");
  return (
    <>
      <section className="template-preview" aria-label="Preview">
        {s.headerText ? (
          <p className="template-header">
            <Filled parts={header} />
          </p>
        ) : null}
        {s.mediaHeader ? (
          <p className="template-media">
            [{MEDIA_LABEL[s.mediaHeader]}
            {v.headerFile ? `: ${v.headerFile.filename}` : v.headerUrl.trim() ? `: ${v.headerUrl.trim()}` : ""}]
          </p>
        ) : null}
        <p className="template-body">
          <Filled parts={body} />
        </p>
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
      {fields ? <p className="hint">The marked fields are filled in for each recipient as the message goes out.</p> : null}
    </>
  );
}

/**
 * The server's message for one of the template's values ("body[0]", "named.greeting",
 * "copy_code" …): under the form's prefix, or the message's when the route nests it.
 */
function valueError(error: unknown, errorPrefix: string, key: string): string | undefined {
  for (const prefix of new Set([errorPrefix, "template", "message.template"])) {
    const found = fieldError(error, `${prefix}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/**
 * The server's messages about the template that no input shows beside it (placed are
 * the keys that one does), so that a refusal never reads only "validation failed".
 */
function OtherErrors({ error, placed }: { error: unknown; placed: string[] }) {
  if (!(error instanceof ApiError)) return null;
  const rest = Object.entries(error.fields).filter(([k]) => {
    const m = /^(?:message\.)?template(?:\.(.+))?$/.exec(k);
    return m && !placed.includes(m[1] ?? "");
  });
  if (!rest.length) return null;
  return (
    <ul className="field-error template-errors">
      {rest.map(([k, text]) => (
        <li key={k}>
          {k}: {text}
        </li>
      ))}
    </ul>
  );
}

/** A value typed in the form, which a field of the recipient can be put into. */
interface Slot {
  key: string;
  value: string;
  set: (value: string) => void;
}

/**
 * Putting the recipient's fields into the values: where the caret was in the value last
 * typed in, else at the end of the first one. bind(key) goes on each value's input.
 */
function useFieldInsert(slots: Slot[]) {
  const inputs = useRef(new Map<string, HTMLInputElement>());
  const last = useRef<string | null>(null);
  const caret = useRef<{ el: HTMLInputElement; at: number } | null>(null);
  // Once the value shows with the field in it, typing carries on just after the field.
  useLayoutEffect(() => {
    const c = caret.current;
    if (!c) return;
    caret.current = null;
    c.el.focus();
    c.el.setSelectionRange(c.at, c.at);
  });
  const bind = (key: string) => ({
    ref: (el: HTMLInputElement | null) => {
      if (el) inputs.current.set(key, el);
      else inputs.current.delete(key);
    },
    onFocus: () => {
      last.current = key;
    },
  });
  const insert = (token: string) => {
    const slot = slots.find((x) => x.key === last.current) ?? slots[0];
    if (!slot) return;
    const el = inputs.current.get(slot.key);
    const known = el && slot.key === last.current && el.selectionStart !== null;
    const start = known ? (el.selectionStart ?? slot.value.length) : slot.value.length;
    const end = known ? (el.selectionEnd ?? start) : start;
    const edit = insertAt(slot.value, start, end, token);
    slot.set(edit.value);
    last.current = slot.key;
    if (el) caret.current = { el, at: edit.start };
  };
  return { bind, insert };
}

/** The recipient's fields, offered as buttons that put one in the value being typed. */
function FieldChips({ insert }: { insert: (token: string) => void }) {
  return (
    <div className="template-fields">
      <div className="template-chips" role="group" aria-label="Insert a field of the recipient">
        <span className="hint">Insert for each recipient:</span>
        {RECIPIENT_FIELDS.map((f) => (
          <button
            key={f.field}
            type="button"
            className="chip"
            title={`Insert ${fieldToken(f.field)}`}
            // The value being typed keeps its focus and caret: the field goes where the caret is.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => insert(fieldToken(f.field))}
          >
            {f.label}
          </button>
        ))}
      </div>
      <p className="hint">
        Each recipient gets their own; <code>{"{{first_name|there}}"}</code> gives “there” to one without a first name (without a fallback, such a send
        is refused).
      </p>
    </div>
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
        error={valueError(error, errorPrefix, "header_url")}
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
  const setButton = (i: number, value: string) => setValues((x) => ({ ...x, buttonUrls: Object.assign([...x.buttonUrls], { [i]: value }) }));
  // Where the API names each value in its field messages.
  const paramKey = (p: string, i: number) => (s.named ? `named.${p}` : `body[${i}]`);
  const slots: Slot[] = [
    ...(s.headerParam ? [{ key: "header_text", value: v.headerText, set: (x: string) => setValues((y) => ({ ...y, headerText: x })) }] : []),
    ...s.params.map((p, i) => ({ key: paramKey(p, i), value: v.params[p] ?? "", set: (x: string) => setParam(p, x) })),
    ...s.urlButtons.map((_, i) => ({ key: `button_urls[${i}]`, value: v.buttonUrls[i] ?? "", set: (x: string) => setButton(i, x) })),
    ...(s.copyCode ? [{ key: "copy_code", value: v.copyCode, set: (x: string) => setValues((y) => ({ ...y, copyCode: x })) }] : []),
  ];
  const { bind, insert } = useFieldInsert(slots);
  const err = (key: string) => valueError(error, errorPrefix, key);
  return (
    <>
      <Field label="Template" error={err("name")}>
        <select value={s.key} onChange={(e) => choice.choose(e.target.value)}>
          {choice.shapes.map((t) => (
            <option key={t.key} value={t.key}>
              {t.template.name} ({t.template.language}){t.template.category ? ` · ${t.template.category}` : ""}
            </option>
          ))}
        </select>
      </Field>
      {slots.length || s.mediaHeader ? (
        <fieldset className="template-params">
          <legend>Parameters</legend>
          {s.mediaHeader ? <MediaHeader choice={choice} format={s.mediaHeader} error={error} errorPrefix={errorPrefix} /> : null}
          {s.headerParam ? (
            <Field label={`Header {{${s.headerParam}}}`} error={err("header_text")}>
              <input
                {...bind("header_text")}
                value={v.headerText}
                onChange={(e) => setValues((x) => ({ ...x, headerText: e.target.value }))}
                placeholder={s.headerExample}
                required
                autoComplete="off"
              />
            </Field>
          ) : null}
          {s.params.map((p, i) => (
            <Field key={p} label={`{{${p}}}`} error={err(paramKey(p, i))}>
              <input
                {...bind(paramKey(p, i))}
                value={v.params[p] ?? ""}
                onChange={(e) => setParam(p, e.target.value)}
                placeholder={s.examples[p]}
                required
                autoComplete="off"
              />
            </Field>
          ))}
          {s.urlButtons.map((b, i) => (
            <Field key={`b${i}`} label={`Link ending of “${b}”`} hint="Added to the end of the button's link." error={err(`button_urls[${i}]`)}>
              <input {...bind(`button_urls[${i}]`)} value={v.buttonUrls[i] ?? ""} onChange={(e) => setButton(i, e.target.value)} required autoComplete="off" />
            </Field>
          ))}
          {s.copyCode ? (
            <Field label="Code to copy" hint="What the Copy code button copies." error={err("copy_code")}>
              <input {...bind("copy_code")} value={v.copyCode} onChange={(e) => setValues((x) => ({ ...x, copyCode: e.target.value }))} required autoComplete="off" />
            </Field>
          ) : null}
          {slots.length ? <FieldChips insert={insert} /> : null}
        </fieldset>
      ) : null}
      <OtherErrors error={error} placed={["name", "header_url", ...slots.map((x) => x.key)]} />
      <Preview s={s} v={v} />
    </>
  );
}

function ByHand({ choice, m, error, errorPrefix }: { choice: TemplateChoice; m: Manual; error?: unknown; errorPrefix: string }) {
  const set = (patch: Partial<Manual>) => choice.setManual((x) => ({ ...x, ...patch }));
  const setParam = (i: number, value: string) => choice.setManual((x) => ({ ...x, params: Object.assign([...x.params], { [i]: value }) }));
  const slots: Slot[] = m.params.map((p, i) => ({ key: `body[${i}]`, value: p, set: (x) => setParam(i, x) }));
  const { bind, insert } = useFieldInsert(slots);
  const err = (key: string) => valueError(error, errorPrefix, key);
  return (
    <>
      <p className="hint">No approved templates are listed for this number; type the name of one the provider approved.</p>
      <div className="template-row">
        <Field label="Template name" error={err("name")}>
          <input value={m.name} onChange={(e) => set({ name: e.target.value })} required placeholder="order_update" autoComplete="off" />
        </Field>
        <Field label="Language" error={err("language")}>
          <input value={m.language} onChange={(e) => set({ language: e.target.value })} required size={8} autoComplete="off" />
        </Field>
      </div>
      <fieldset className="template-params">
        <legend>Parameters</legend>
        {m.params.map((p, i) => (
          <Field key={i} label={`{{${i + 1}}}`} error={err(`body[${i}]`)}>
            <input {...bind(`body[${i}]`)} value={p} onChange={(e) => setParam(i, e.target.value)} autoComplete="off" />
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
        {slots.length ? <FieldChips insert={insert} /> : null}
      </fieldset>
      <OtherErrors error={error} placed={["name", "language", ...slots.map((x) => x.key)]} />
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
  onDraft,
}: {
  connection: string | undefined;
  /** sends the template (with its header's uploaded file beside it); says whether it went */
  onSend: (m: TemplateMessage) => Promise<boolean>;
  busy?: boolean;
  error?: unknown;
  /** Why only a template can go out. */
  why?: string;
  /** told whether the form holds values a send would use, which closing would lose */
  onDraft?: (drafting: boolean) => void;
}) {
  const choice = useTemplateChoice(connection);
  const report = useRef(onDraft);
  report.current = onDraft;
  useEffect(() => {
    report.current?.(choice.edited);
  }, [choice.edited]);
  // Gone with the form (a note written instead): nothing of it is left to lose.
  useEffect(() => () => report.current?.(false), []);
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
