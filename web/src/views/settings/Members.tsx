// Members and their roles; invitations.
import { useState, type FormEvent } from "react";
import { call } from "../../api/client";
import { ROLES, type Invitation, type Member, type Role } from "../../api/types";
import { Empty, ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { dateTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useSession } from "../../session";
import { useWorkspace } from "../../workspace";

function MemberRow({ m, manage, onError }: { m: Member; manage: boolean; onError: (e: unknown) => void }) {
  const w = useWorkspace();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const me = session.state.status === "signedIn" && session.state.user.id === m.user_id;
  const path = { workspace: w.slug, member: m.id };
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    onError(null);
    try {
      await fn();
      await w.reloadMembers();
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  const invite = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await call("post", "/api/v1/workspaces/{workspace}/invitations", { path: { workspace: w.slug }, body: { email, role } });
      setLink({ email: r.invitation.email, url: r.accept_url });
      setEmail("");
      await invs.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (inv: Invitation) => {
    setError(null);
    try {
      await call("delete", "/api/v1/workspaces/{workspace}/invitations/{invitation}", { path: { workspace: w.slug, invitation: inv.id } });
      await invs.reload();
    } catch (err) {
      setError(err);
    }
  };

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
        <table className="table">
          <caption className="sr-only">Invitations</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invs.data.items.map((inv) => (
              <tr key={inv.id}>
                <td>{inv.email}</td>
                <td>{inv.role}</td>
                <td>{inv.status}</td>
                <td>{dateTime(inv.expires_at)}</td>
                <td>
                  {inv.status === "pending" ? (
                    <button type="button" className="btn" onClick={() => void revoke(inv)} aria-label={`Revoke the invitation of ${inv.email}`}>
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function Members() {
  const w = useWorkspace();
  const manage = w.can("members:manage");
  const [error, setError] = useState<unknown>(null);
  return (
    <div className="settings-page">
      <h1>Members</h1>
      <ErrorText error={error} />
      {w.members.length === 0 ? (
        <Empty title="No members" />
      ) : (
        <table className="table">
          <caption className="sr-only">Members of {w.view.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
              {manage ? (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {w.members.map((m) => (
              <MemberRow key={m.id} m={m} manage={manage} onError={setError} />
            ))}
          </tbody>
        </table>
      )}
      {manage ? <Invitations /> : null}
    </div>
  );
}
