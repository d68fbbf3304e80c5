// Choosing an approved WhatsApp template and filling its numbered parameters.
//
// The API does not list a workspace's templates yet, so the picker offers the ones
// given to it (none today) and otherwise takes the template's name and language as
// typed, which is what the send needs.
import { useState, type FormEvent } from "react";
import type { Template } from "../api/types";
import { ErrorText, fieldError } from "./Feedback";
import { Field } from "./Field";

export interface KnownTemplate {
  name: string;
  language: string;
  category?: string;
  /** the body with {{1}}, {{2}} … placeholders */
  body?: string;
}

function placeholders(body?: string): number {
  if (!body) return 0;
  let n = 0;
  for (const m of body.matchAll(/\{\{(\d+)\}\}/g)) n = Math.max(n, Number(m[1]));
  return n;
}

export function TemplatePicker({
  onSend,
  busy,
  error,
  templates = [],
}: {
  onSend: (t: Template) => Promise<boolean>;
  busy?: boolean;
  error?: unknown;
  templates?: KnownTemplate[];
}) {
  const [picked, setPicked] = useState(templates.length ? `${templates[0].name}|${templates[0].language}` : "");
  const [name, setName] = useState("");
  const [language, setLanguage] = useState("en_US");
  const [params, setParams] = useState<string[]>([]);

  const known = templates.find((t) => `${t.name}|${t.language}` === picked);
  const wanted = known ? placeholders(known.body) : params.length;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t: Template = known ? { name: known.name, language: known.language } : { name: name.trim(), language: language.trim() };
    const body = params.slice(0, wanted).map((p) => p.trim());
    if (body.length) t.body = body;
    if (await onSend(t)) setParams([]);
  };

  return (
    <form className="template-picker" onSubmit={submit} aria-label="Send a template">
      <p className="template-note" role="note">
        The 24-hour window is closed: the customer has not written in the last 24 hours, so only an approved template can be sent.
      </p>
      <div className="template-row">
        {templates.length ? (
          <Field label="Template">
            <select value={picked} onChange={(e) => setPicked(e.target.value)}>
              {templates.map((t) => (
                <option key={`${t.name}|${t.language}`} value={`${t.name}|${t.language}`}>
                  {t.name} ({t.language}){t.category ? ` · ${t.category}` : ""}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <>
            <Field label="Template name" error={fieldError(error, "template.name")}>
              <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="order_update" autoComplete="off" />
            </Field>
            <Field label="Language" error={fieldError(error, "template.language")}>
              <input value={language} onChange={(e) => setLanguage(e.target.value)} required size={8} autoComplete="off" />
            </Field>
          </>
        )}
      </div>
      {known?.body ? <p className="template-body">{known.body}</p> : null}
      <fieldset className="template-params">
        <legend>Parameters</legend>
        {Array.from({ length: wanted }, (_, i) => (
          <Field key={i} label={`{{${i + 1}}}`}>
            <input
              value={params[i] ?? ""}
              onChange={(e) => setParams((p) => Object.assign([...p], { [i]: e.target.value }))}
              autoComplete="off"
            />
          </Field>
        ))}
        {!known ? (
          <div className="row">
            <button type="button" className="btn" onClick={() => setParams((p) => [...p, ""])}>
              Add parameter
            </button>
            {params.length ? (
              <button type="button" className="btn" onClick={() => setParams((p) => p.slice(0, -1))}>
                Remove last
              </button>
            ) : null}
          </div>
        ) : null}
      </fieldset>
      <ErrorText error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy || (!known && !name.trim())}>
        Send template
      </button>
    </form>
  );
}
