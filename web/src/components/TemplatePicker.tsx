// Choosing one of a connection's approved templates and filling what it needs: the
// body's parameters, a media header's link or a text header's placeholder, dynamic
// button links and a copy code,
// with a preview of the body as the customer will read it.
//
// The templates come from the provider through the connection's plugin. Only when
// that list is empty (a channel without templates, an account without approved ones,
// or no connection to ask) is the template's name typed by hand.
import { useEffect, useMemo, useState } from "react";
import { call } from "../api/client";
import type { ListedTemplate, Template } from "../api/types";
import { useAsync, type Async } from "../lib/useAsync";
import {
  complete,
  describeTemplate,
  NO_VALUES,
  substitute,
  templateToSend,
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
  /** what to send; null while something is missing */
  template: Template | null;
  /** empties the values after a send */
  reset: () => void;
}

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
  useEffect(() => {
    setKey("");
    setValues(NO_VALUES);
  }, [connection]);

  const chosen = shapes.find((s) => s.key === key) ?? shapes[0];
  const byHand = list.data === null || (list.data !== undefined && list.data.length === 0);
  let template: Template | null = null;
  if (byHand && manual.name.trim()) {
    template = { name: manual.name.trim(), language: manual.language.trim() };
    const body = manual.params.map((p) => p.trim());
    if (body.length) template.body = body;
  } else if (!byHand && chosen && complete(chosen, values)) {
    template = templateToSend(chosen, values);
  }

  return {
    list,
    shapes,
    chosen,
    choose: (k) => {
      setKey(k);
      setValues(NO_VALUES);
    },
    values,
    setValues,
    manual: byHand ? manual : null,
    setManual,
    template,
    reset: () => {
      setValues(NO_VALUES);
      setManual((m) => ({ ...m, params: m.params.map(() => "") }));
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
          {v.headerUrl.trim() ? `: ${v.headerUrl.trim()}` : ""}]
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

function Listed({ choice, s }: { choice: TemplateChoice; s: TemplateShape }) {
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
          {s.mediaHeader ? (
            <Field label={`Header ${MEDIA_LABEL[s.mediaHeader]} link`} hint="A public https link to the file.">
              <input type="url" value={v.headerUrl} onChange={(e) => setValues((x) => ({ ...x, headerUrl: e.target.value }))} required autoComplete="off" />
            </Field>
          ) : null}
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
  return choice.chosen ? <Listed choice={choice} s={choice.chosen} /> : null;
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
  onSend: (t: Template) => Promise<boolean>;
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
        if (choice.template && (await onSend(choice.template))) choice.reset();
      }}
    >
      <p className="template-note" role="note">
        {why}
      </p>
      <TemplateFields choice={choice} error={error} />
      <ErrorText error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy || !choice.template}>
        Send template
      </button>
    </form>
  );
}
