// Members and their roles, their availability and capacity for the Team Inbox's queue;
// invitations.
import { useId, useState } from "react";
import { call, errorMessage } from "../../api/client";
import { ROLES, type Invitation, type Member, type Role } from "../../api/types";
import { MemberAvailability } from "../../components/Availability";
import { Empty, ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { Table } from "../../components/Table";
import { capacityOf, holdsTickets } from "../../lib/assignment";
import { dateTime } from "../../lib/format";
import { useAction, type Action } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useSession } from "../../session";
import { useWorkspace } from "../../workspace";

/** A capacity as the page says it: empty is the workspace's default. */
function capacityText(capacity: number | null | undefined): string {
  if (capacity === null || capacity === undefined) return "Default";
  return capacity === 0 ? "No limit" : String(capacity);
}

/** A capacity as the box holds it: empty for the workspace's default. */
function typedCapacity(capacity: number | null | undefined): string {
  return capacity === null || capacity === undefined ? "" : String(capacity);
}

/** A member's capacity, saved on Enter or on leaving the box when it changed; empty goes back to the workspace's default. */
function CapacityInput({ m }: { m: Member }) {
  const w = useWorkspace();
  // As last stored, by this box's own save too (before the members are loaded again).
  const [stored, setStored] = useState(typedCapacity(m.capacity));
  const [typed, setTyped] = useState(stored);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const errorId = useId();
  const save = () => {
    if (busy || typed.trim() === stored) return;
    void run(async () => {
      const capacity = typed.trim() === "" ? null : capacityOf(typed);
      const updated = await call("put", "/api/v1/workspaces/{workspace}/members/{member}/capacity", {
        path: { workspace: w.slug, member: m.id },
        body: { capacity },
      });
      setStored(typedCapacity(updated.capacity));
      setTyped(typedCapacity(updated.capacity));
      setSaved(true);
      await w.reloadMembers();
    });
  };
  const refusal = fieldError(error, "capacity") ?? (error ? errorMessage(error) : undefined);
  return (
    <form
      className="capacity"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <input
        className="capacity-input"
        inputMode="numeric"
        placeholder="Default"
        aria-label={`Capacity of ${m.name || m.email}`}
        aria-invalid={refusal ? true : undefined}
        aria-describedby={refusal ? errorId : undefined}
        value={typed}
        // Read-only, not disabled, while saving: the focus stays in the box.
        readOnly={busy}
        onChange={(e) => {
          setTyped(e.target.value);
          setSaved(false);
        }}
        onBlur={save}
      />
      {saved && !refusal ? (
        <span className="hint" role="status">
          Saved
        </span>
      ) : null}
      {refusal ? (
        <p className="field-error" id={errorId}>
          {refusal}
        </p>
      ) : null}
    </form>
  );
}

function MemberRow({ m, manage, assign, action }: { m: Member; manage: boolean; assign: boolean; action: Action }) {
  const w = useWorkspace();
  const session = useSession();
  const { busy } = action;
  const me = session.state.status === "signedIn" && session.state.user.id === m.user_id;
  const path = { workspace: w.slug, member: m.id };
  // Viewers hold no tickets: the queue has no use for their availability or capacity.
  const holds = holdsTickets(m.role);
  const run = (fn: () => Promise<unknown>) =>
    action.run(async () => {
      await fn();
      await w.reloadMembers();
    });
  return (
    <tr>
      <td>
        {m.name || "—"}
        {me ? <span className="hint"> (you)</span> : null}
      </td>
      <td>{m.email}</td>
      <td>
        {manage ? (
          <>
            <label className="sr-only" htmlFor={`role-${m.id}`}>
              Role of {m.name || m.email}
            </label>
            <select
              id={`role-${m.id}`}
              value={m.role}
              disabled={busy}
              onChange={(e) => run(() => call("patch", "/api/v1/workspaces/{workspace}/members/{member}", { path, body: { role: e.target.value as Role } }))}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </>
        ) : (
          m.role
        )}
      </td>
      <td>{holds ? <MemberAvailability availability={m.availability} /> : "—"}</td>
      <td>{!holds ? "—" : assign ? <CapacityInput m={m} /> : capacityText(m.capacity)}</td>
      <td>{dateTime(m.created_at)}</td>
      {manage ? (
        <td>
          <button
            type="button"
            className="btn btn-danger"
            disabled={busy}
            aria-label={`Remove ${m.name || m.email}`}
            onClick={() => {
              if (window.confirm(`Remove ${m.name || m.email} from ${w.view.name}?`)) {
                void run(() => call("delete", "/api/v1/workspaces/{workspace}/members/{member}", { path }));
              }
            }}
          >
            Remove
          </button>
        </td>
      ) : null}
    </tr>
  );
}

function Invitations() {
  const w = useWorkspace();
  const invs = useAsync(
    (signal) => call("get", "/api/v1/workspaces/{workspace}/invitations", { path: { workspace: w.slug }, query: { limit: 200 }, signal }),
    [w.slug],
  );
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const action = useAction();
  const { busy, error } = action;
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  const invite = action.submit(async () => {
    const r = await call("post", "/api/v1/workspaces/{workspace}/invitations", { path: { workspace: w.slug }, body: { email, role } });
    setLink({ email: r.invitation.email, url: r.accept_url });
    setEmail("");
    await invs.reload();
  });
  const revoke = (inv: Invitation) =>
    action.run(async () => {
      await call("delete", "/api/v1/workspaces/{workspace}/invitations/{invitation}", { path: { workspace: w.slug, invitation: inv.id } });
      await invs.reload();
    });

  return (
    <section className="card-section" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite</h2>
      <form className="row row-end" onSubmit={invite} noValidate>
        <Field label="Email" error={fieldError(error, "email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field label="Role" error={fieldError(error, "role")}>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy || !email.trim()}>
          Invite
        </button>
      </form>
      <ErrorText error={error} />
      {link ? (
        <div className="notice" role="status">
          <p>
            Send this link to {link.email}; it is shown only now:
          </p>
          <input readOnly value={link.url} aria-label="Invitation link" onFocus={(e) => e.target.select()} className="mono" />
        </div>
      ) : null}
      {invs.loading && !invs.data ? <Loading /> : null}
      <ErrorText error={invs.error} />
      {invs.data && invs.data.items.length ? (
        <Table caption="Invitations" columns={["Email", "Role", "Status", "Expires"]} actions>
            {invs.data.items.map((inv) => (
              <tr key={inv.id}>
                <td>{inv.email}</td>
                <td>{inv.role}</td>
                <td>{inv.status}</td>
                <td>{dateTime(inv.expires_at)}</td>
                <td>
                  {inv.status === "pending" ? (
                    <button type="button" className="btn" disabled={busy} onClick={() => void revoke(inv)} aria-label={`Revoke the invitation of ${inv.email}`}>
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
        </Table>
      ) : null}
    </section>
  );
}

/** What capacity means, with the workspace's default as Assignment sets it. */
function CapacityHint() {
  const w = useWorkspace();
  const settings = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/assignment", { path: { workspace: w.slug }, signal }), [w.slug]);
  const current = settings.data ? ` (now ${settings.data.capacity === 0 ? "no limit" : settings.data.capacity})` : "";
  return (
    <p className="hint">
      Capacity is the most active tickets round robin hands a member. Empty takes the default set under Assignment{current}; 0 means no limit.
    </p>
  );
}

export function Members() {
  const w = useWorkspace();
  const manage = w.can("members:manage");
  const assign = w.can("conversations:assign");
  const action = useAction();
  return (
    <div className="settings-page">
      <h1>Members</h1>
      {assign ? <CapacityHint /> : null}
      <ErrorText error={action.error} />
      {w.members.length === 0 ? (
        <Empty title="No members" />
      ) : (
        <Table caption={`Members of ${w.view.name}`} columns={["Name", "Email", "Role", "Availability", "Capacity", "Since"]} actions={manage}>
          {w.members.map((m) => (
            <MemberRow key={m.id} m={m} manage={manage} assign={assign} action={action} />
          ))}
        </Table>
      )}
      {manage ? <Invitations /> : null}
    </div>
  );
}
