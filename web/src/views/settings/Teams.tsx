// Teams: queues of the Team Inbox of their own, each with the members who work it and
// the connections whose new customers' tickets go to it; round robin hands a team's
// tickets to its members only, and other tickets wait in the general queue. Managers
// and admins keep them (conversations:assign). Only admins see the connections
// (channels:read): a manager names a team and picks its members, and its connections
// stay as an admin set them.
import { useId, useState } from "react";
import { call } from "../../api/client";
import type { Team } from "../../api/types";
import { ConfirmDialog, Dialog, DialogActions } from "../../components/Dialog";
import { Empty, ErrorText, fieldError, listFieldErrors, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { Table } from "../../components/Table";
import { holdsTickets } from "../../lib/assignment";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

/** The longest name the server takes. */
const MAX_NAME = 60;

interface Choice {
  value: string;
  label: string;
  /** why it cannot be picked (a connection another team has) */
  taken?: string;
}

/**
 * Boxes to tick in a group named by its legend, with its hint and the server's refusal
 * under them; a choice taken elsewhere shows where, and cannot be ticked.
 */
function Checklist({
  legend,
  hint,
  choices,
  picked,
  onChange,
  error,
}: {
  legend: string;
  hint: string;
  choices: Choice[];
  picked: string[];
  onChange: (picked: string[]) => void;
  error?: string;
}) {
  const id = useId();
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset className={`checklist${error ? " field-invalid" : ""}`} aria-describedby={describedBy}>
      <legend>{legend}</legend>
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
      {choices.map((c) => (
        <label key={c.value} className="check">
          <input
            type="checkbox"
            checked={picked.includes(c.value)}
            disabled={!!c.taken && !picked.includes(c.value)}
            onChange={(e) => onChange(e.target.checked ? [...picked, c.value] : picked.filter((v) => v !== c.value))}
          />
          {c.label}
          {c.taken ? <span className="hint"> · {c.taken}</span> : null}
        </label>
      ))}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** Whether two lists hold the same ids, whatever their order. */
function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Makes a team, or changes one (only the fields changed are sent). */
function TeamForm({ existing, teams, onClose, onSaved }: { existing?: Team; teams: Team[]; onClose: () => void; onSaved: () => void }) {
  const w = useWorkspace();
  const [name, setName] = useState(existing?.name ?? "");
  const [members, setMembers] = useState<string[]>(existing?.member_ids ?? []);
  const [connections, setConnections] = useState<string[]>(existing?.connection_ids ?? []);
  // The lists as last sent, to name the one a refusal points at (member_ids[1]).
  const [sent, setSent] = useState<{ members: string[]; connections: string[] }>({ members: [], connections: [] });
  const { busy, error, submit } = useAction();

  const takers = w.members.filter((m) => holdsTickets(m.role));
  const memberLabel = (id: string) => {
    const m = w.members.find((x) => x.user_id === id);
    return m ? m.name || m.email : "A member who no longer takes tickets";
  };
  // A member picked before who no longer holds tickets stays shown, to take off.
  const memberChoices: Choice[] = [
    ...takers.map((m) => ({ value: m.user_id, label: `${m.name || m.email}${m.user_id === w.me ? " (you)" : ""} · ${m.role}` })),
    ...members.filter((id) => !takers.some((m) => m.user_id === id)).map((id) => ({ value: id, label: memberLabel(id) })),
  ];
  // A connection is in one team at most: another team's is shown with its name.
  const connectionChoices: Choice[] = (w.connections ?? []).map((c) => {
    const other = teams.find((t) => t.id !== existing?.id && t.connection_ids.includes(c.id));
    return { value: c.id, label: `${c.display_name} · ${c.address}`, taken: other ? `in ${other.name}` : undefined };
  });
  const connectionLabel = (id: string) => connectionChoices.find((c) => c.value === id)?.label ?? "A connection";

  const save = submit(async () => {
    setSent({ members, connections });
    // Without the connections to show (a manager), the team's stay as they are.
    const withConnections = w.connections !== null;
    if (existing) {
      const body = {
        ...(name !== existing.name ? { name } : {}),
        ...(!sameIds(members, existing.member_ids) ? { member_ids: members } : {}),
        ...(withConnections && !sameIds(connections, existing.connection_ids) ? { connection_ids: connections } : {}),
      };
      if (Object.keys(body).length > 0) {
        await call("patch", "/api/v1/workspaces/{workspace}/teams/{team}", { path: { workspace: w.slug, team: existing.id }, body });
      }
    } else {
      await call("post", "/api/v1/workspaces/{workspace}/teams", {
        path: { workspace: w.slug },
        body: { name, member_ids: members, ...(withConnections ? { connection_ids: connections } : {}) },
      });
    }
    onSaved();
  });

  return (
    <Dialog title={existing ? `Edit ${existing.name}` : "Add a team"} onClose={onClose} wide>
      <form onSubmit={save} noValidate>
        <Field label="Name" hint={`At most ${MAX_NAME} characters: Billing, Support, Sales.`} error={fieldError(error, "name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={MAX_NAME} autoComplete="off" required autoFocus />
        </Field>
        <Checklist
          legend="Members"
          hint="Agents, managers and admins: they work the team's queue, and round robin hands its tickets to them only."
          choices={memberChoices}
          picked={members}
          onChange={setMembers}
          error={listFieldErrors(error, "member_ids", sent.members.map(memberLabel), "Member")}
        />
        {w.connections ? (
          <Checklist
            legend="Connections"
            hint="New customers' tickets on these go to the team's queue. A connection is in one team at most."
            choices={connectionChoices}
            picked={connections}
            onChange={setConnections}
            error={listFieldErrors(error, "connection_ids", sent.connections.map(connectionLabel), "Connection")}
          />
        ) : (
          <p className="hint">Admins choose the connections whose new tickets go to a team's queue.</p>
        )}
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          {existing ? "Save" : "Add"}
        </DialogActions>
      </form>
    </Dialog>
  );
}

export function Teams() {
  const w = useWorkspace();
  const manage = w.can("conversations:assign");
  const list = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/teams", { path: { workspace: w.slug }, signal }), [w.slug]);
  const [editing, setEditing] = useState<Team | "new" | null>(null);
  const [deleting, setDeleting] = useState<Team | null>(null);
  const action = useAction();
  const teams = list.data?.items;

  const memberNames = (t: Team) =>
    t.member_ids.map((id) => {
      const m = w.members.find((x) => x.user_id === id);
      return m ? m.name || m.email : "a former member";
    });
  // Admins see the connections by name; others, how many there are.
  const connectionsText = (t: Team) => {
    if (t.connection_ids.length === 0) return "None";
    if (!w.connections) return t.connection_ids.length === 1 ? "1 connection" : `${t.connection_ids.length} connections`;
    return t.connection_ids.map((id) => w.connections?.find((c) => c.id === id)?.display_name ?? "a removed connection").join(", ");
  };

  const remove = (t: Team) =>
    action.run(async () => {
      await call("delete", "/api/v1/workspaces/{workspace}/teams/{team}", { path: { workspace: w.slug, team: t.id } });
      await list.reload();
    });

  return (
    <div className="settings-page">
      <div className="page-head">
        <h1>Teams</h1>
        {manage ? (
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")}>
            Add team
          </button>
        ) : null}
      </div>
      <p className="hint">
        A team has a queue of its own in the Team Inbox. New customers' tickets on its connections wait there, and round robin hands them to its members only;
        other tickets wait in the general queue, for anyone. A ticket can be moved to any queue by Transfer.
      </p>
      {list.loading && !teams ? <Loading /> : null}
      <ErrorText error={action.error ?? list.error} />
      {teams && teams.length === 0 ? (
        <Empty title="No teams yet">Every ticket waits in one queue. Add a team for each group that works its own tickets: billing, support, sales.</Empty>
      ) : null}
      {teams && teams.length > 0 ? (
        <Table caption="Teams" columns={["Name", "Members", "Connections"]} actions={manage}>
          {teams.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.member_ids.length ? memberNames(t).join(", ") : "None"}</td>
              <td>{connectionsText(t)}</td>
              {manage ? (
                <td>
                  <span className="row">
                    <button type="button" className="btn" aria-label={`Edit ${t.name}`} onClick={() => setEditing(t)}>
                      Edit
                    </button>
                    <button type="button" className="btn btn-danger" aria-label={`Delete ${t.name}`} disabled={action.busy} onClick={() => setDeleting(t)}>
                      Delete
                    </button>
                  </span>
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : null}
      {editing ? (
        <TeamForm
          existing={editing === "new" ? undefined : editing}
          teams={teams ?? []}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void list.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirm="Delete team"
          cancel="Keep"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        >
          Its tickets go to the general queue, where anyone may take them, and so do its connections' new tickets. Its members stay in the workspace.
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
