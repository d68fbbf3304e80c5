// Assignment: how the Team Inbox hands out new tickets. They wait in the queue for a
// member to accept one, go in turn to the members who are online, or all go to one
// member. Below, when tickets no one touches close by themselves (auto-close), and
// how soon tickets are answered and resolved (SLA targets). Managers and admins set
// them all (conversations:assign).
import { useId, useState } from "react";
import { call } from "../../api/client";
import type { AssignmentSettings } from "../../api/types";
import { ErrorText, fieldError, Loading, SaveFooter } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { capacityOf, holdsTickets } from "../../lib/assignment";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";
import { AutoClose } from "./AutoClose";
import { SlaTargets } from "./SlaTargets";

type Mode = AssignmentSettings["mode"];

const MODES: { value: Mode; label: string; hint: string }[] = [
  { value: "queue", label: "Queue", hint: "New tickets wait in the queue until a member accepts one." },
  {
    value: "round_robin",
    label: "Round robin",
    hint: "Each new ticket goes to a member who is online, in turn, the one with the fewest active tickets first, up to their capacity.",
  },
  { value: "member", label: "One member", hint: "Every ticket that enters the queue goes to the member you choose." },
];

function AssignmentForm({ settings, onSaved }: { settings: AssignmentSettings; onSaved: (v: AssignmentSettings) => void }) {
  const w = useWorkspace();
  const id = useId();
  const [mode, setMode] = useState<Mode>(settings.mode);
  const [assignee, setAssignee] = useState(settings.assignee_id ?? "");
  const [capacity, setCapacity] = useState(String(settings.capacity));
  const { busy, error, submit } = useAction();
  const takers = w.members.filter((m) => holdsTickets(m.role));
  // A member chosen before who no longer holds tickets stays shown, for the server to refuse.
  const gone = assignee !== "" && !takers.some((m) => m.user_id === assignee);

  const save = submit(async () => {
    const v = await call("put", "/api/v1/workspaces/{workspace}/assignment", {
      path: { workspace: w.slug },
      // The assignee goes only with mode member; the capacity, typed only for round robin, is kept otherwise.
      body: {
        mode,
        assignee_id: mode === "member" ? assignee || null : null,
        capacity: mode === "round_robin" ? capacityOf(capacity) : settings.capacity,
      },
    });
    onSaved(v);
  });

  const modeError = fieldError(error, "mode");
  return (
    <form className="card-section" aria-label="Assignment" onSubmit={save} noValidate>
      <fieldset aria-describedby={modeError ? `${id}-mode-error` : undefined}>
        <legend>New tickets</legend>
        {MODES.map((m) => (
          <div key={m.value} className="choice">
            <label className="check">
              <input
                type="radio"
                name="assignment-mode"
                value={m.value}
                checked={mode === m.value}
                aria-describedby={`${id}-${m.value}`}
                onChange={() => setMode(m.value)}
              />{" "}
              {m.label}
            </label>
            <p className="hint choice-hint" id={`${id}-${m.value}`}>
              {m.hint}
            </p>
          </div>
        ))}
        {modeError ? (
          <p className="field-error" id={`${id}-mode-error`}>
            {modeError}
          </p>
        ) : null}
      </fieldset>
      {mode === "member" ? (
        <Field label="Member" hint="Agents, managers and admins: the members who may reply to tickets." error={fieldError(error, "assignee_id")}>
          <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
            <option value="">Choose a member</option>
            {takers.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name || m.email}
                {m.user_id === w.me ? " (you)" : ""} · {m.role}
              </option>
            ))}
            {gone ? <option value={assignee}>A member who no longer takes tickets</option> : null}
          </select>
        </Field>
      ) : null}
      {mode === "round_robin" ? (
        <Field
          label="Active tickets per member"
          hint="0: no limit. A member's own capacity, set under Members, comes first."
          error={fieldError(error, "capacity")}
        >
          <input type="number" min={0} step={1} value={capacity} onChange={(e) => setCapacity(e.target.value)} />
        </Field>
      ) : null}
      <SaveFooter error={error} busy={busy} />
    </form>
  );
}

export function Assignment() {
  const w = useWorkspace();
  const settings = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/assignment", { path: { workspace: w.slug }, signal }), [w.slug]);
  // Each save starts the form again from what the server stored.
  const [saved, setSaved] = useState(0);
  return (
    <div className="settings-page">
      <h1>Assignment</h1>
      <p className="hint">
        How the Team Inbox hands out new tickets. Online members are those who set themselves online, at the top of the page, and have Switchboard open;
        busy and offline members are passed over. A ticket can still be transferred to anyone by hand.
      </p>
      {settings.loading && !settings.data ? <Loading /> : null}
      <ErrorText error={settings.error} />
      {saved > 0 ? (
        <p className="hint" role="status">
          Saved. The tickets waiting in the queue go by it too.
        </p>
      ) : null}
      {settings.data ? (
        <AssignmentForm
          key={saved}
          settings={settings.data}
          onSaved={(v) => {
            settings.setData(() => v);
            setSaved((n) => n + 1);
          }}
        />
      ) : null}
      <AutoClose />
      <SlaTargets />
    </div>
  );
}
