// Access: what each role sees of the conversations (Match assignee, inboxes).
import { useState } from "react";
import { call } from "../../api/client";
import type * as S from "../../api/schema.gen";
import { ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

type Rule = S.AccessRule;

const ROLE_TITLES: Record<Rule["role"], string> = { admin: "Admins", manager: "Managers", agent: "Agents", viewer: "Viewers" };

const MODES: { value: Rule["mode"]; label: string }[] = [
  { value: "all", label: "All conversations" },
  { value: "assignee", label: "Only those assigned to them (Match assignee)" },
];

/** One role's rule, edited and saved on its own. */
function RuleForm({ rule, onSaved }: { rule: Rule; onSaved: () => Promise<unknown> }) {
  const w = useWorkspace();
  const [mode, setMode] = useState<Rule["mode"]>(rule.mode);
  const [unassigned, setUnassigned] = useState(rule.unassigned);
  const [inboxes, setInboxes] = useState<string[]>(rule.connection_ids);
  const action = useAction();
  const { busy, error } = action;
  const save = action.submit(async () => {
    await call("put", "/api/v1/workspaces/{workspace}/access-rules", {
      path: { workspace: w.slug },
      body: { role: rule.role as S.AccessRuleChange["role"], mode, unassigned: mode === "assignee" && unassigned, connection_ids: inboxes },
    });
    await onSaved();
  });
  const toggle = (id: string, on: boolean) => setInboxes((xs) => (on ? [...xs, id] : xs.filter((x) => x !== id)));
  const titleId = `access-${rule.role}`;
  return (
    <form className="card-section" aria-labelledby={titleId} onSubmit={save} noValidate>
      <h2 id={titleId}>{ROLE_TITLES[rule.role]}</h2>
      <Field label="Sees" error={fieldError(error, "mode")}>
        <select value={mode} onChange={(e) => setMode(e.target.value as Rule["mode"])}>
          {MODES.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </Field>
      {mode === "assignee" ? (
        <label className="check">
          <input type="checkbox" checked={unassigned} onChange={(e) => setUnassigned(e.target.checked)} /> and the unassigned ones (the queue)
        </label>
      ) : null}
      <fieldset>
        <legend>Inboxes</legend>
        <p className="hint">None ticked: every connection.</p>
        {(w.connections ?? []).map((c) => (
          <label key={c.id} className="check">
            <input type="checkbox" checked={inboxes.includes(c.id)} onChange={(e) => toggle(c.id, e.target.checked)} /> {c.display_name} ({c.address})
          </label>
        ))}
        {fieldError(error, "connection_ids") ? <p className="error">{fieldError(error, "connection_ids")}</p> : null}
      </fieldset>
      <ErrorText error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        Save
      </button>
    </form>
  );
}

export function Access() {
  const w = useWorkspace();
  const rules = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/access-rules", { path: { workspace: w.slug }, signal }), [w.slug]);
  return (
    <div className="settings-page">
      <h1>Access</h1>
      <p className="hint">What each role sees of the conversations. Admins always see every conversation.</p>
      {rules.loading && !rules.data ? <Loading /> : null}
      <ErrorText error={rules.error} />
      {rules.data?.items.map((r) => <RuleForm key={`${r.role}-${r.updated_at}`} rule={r} onSaved={rules.reload} />)}
    </div>
  );
}
