// Sign in, sign up and accepting an invitation.
import { useState, type FormEvent, type ReactNode } from "react";
import { call } from "../api/client";
import { ErrorText, fieldError, Loading } from "../components/Feedback";
import { Field } from "../components/Field";
import { useAsync } from "../lib/useAsync";
import { Link, navigate, useLocation, withQuery } from "../router";
import { homePath, useSession } from "../session";
import { ThemeToggle } from "../theme";

function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth">
      <div className="auth-top">
        <ThemeToggle />
      </div>
      <main className="auth-card">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Switchboard
        </p>
        <h1>{title}</h1>
        {children}
        {footer ? <div className="auth-footer">{footer}</div> : null}
      </main>
    </div>
  );
}

/** Where to go after signing in: a same-site path given as ?next=, or home. */
function nextPath(search: URLSearchParams, fallback: string): string {
  const next = search.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : fallback;
}

export function SignIn() {
  const { search } = useLocation();
  const session = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await call("post", "/api/v1/auth/login", { body: { email, password } });
      session.started(s);
      navigate(nextPath(search, homePath(s.memberships, s.user)), { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard
      title="Sign in"
      footer={
        <p>
          New to Switchboard? <Link href="/signup">Create an account</Link>
        </p>
      }
    >
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={fieldError(error, "email")}>
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </Field>
        <Field label="Password" error={fieldError(error, "password")}>
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        <ErrorText error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthCard>
  );
}

export function SignUp() {
  const session = useSession();
  const [form, setForm] = useState({ name: "", email: "", password: "", workspace_name: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await call("post", "/api/v1/auth/signup", { body: form });
      session.started(s);
      navigate(s.workspace ? `/w/${s.workspace.slug}` : homePath(s.memberships, s.user), { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard
      title="Create your account"
      footer={
        <p>
          Have an account? <Link href="/signin">Sign in</Link>
        </p>
      }
    >
      <form onSubmit={submit} noValidate>
        <Field label="Your name" error={fieldError(error, "name")}>
          <input autoComplete="name" value={form.name} onChange={set("name")} required autoFocus />
        </Field>
        <Field label="Email" error={fieldError(error, "email")}>
          <input type="email" autoComplete="email" value={form.email} onChange={set("email")} required />
        </Field>
        <Field label="Password" hint="At least 10 characters." error={fieldError(error, "password")}>
          <input type="password" autoComplete="new-password" value={form.password} onChange={set("password")} required />
        </Field>
        <Field label="Business name" hint="Your workspace; you can invite your team next." error={fieldError(error, "workspace_name")}>
          <input autoComplete="organization" value={form.workspace_name} onChange={set("workspace_name")} required />
        </Field>
        <ErrorText error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
      </form>
    </AuthCard>
  );
}

export function AcceptInvitation() {
  const { search, href } = useLocation();
  const token = search.get("token") ?? "";
  const session = useSession();
  const preview = useAsync(
    (signal) => call("get", "/api/v1/invitations/{token}", { path: { token }, signal }),
    [token],
  );
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const signedIn = session.state.status === "signedIn" ? session.state.user : null;

  const accept = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = signedIn ? { token } : { token, name, password };
      const s = await call("post", "/api/v1/invitations/accept", { body });
      session.started(s);
      navigate(s.workspace ? `/w/${s.workspace.slug}` : homePath(s.memberships, s.user), { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!token) {
    return (
      <AuthCard title="Invitation">
        <p className="error" role="alert">
          This link has no invitation token. Open the link you were sent as it is.
        </p>
      </AuthCard>
    );
  }
  if (preview.loading && !preview.data) {
    return (
      <AuthCard title="Invitation">
        <Loading />
      </AuthCard>
    );
  }
  if (preview.error || !preview.data) {
    return (
      <AuthCard title="Invitation" footer={<Link href="/signin">Sign in</Link>}>
        <ErrorText error={preview.error} />
      </AuthCard>
    );
  }
  const inv = preview.data;
  const intro = (
    <p>
      You are invited to <strong>{inv.workspace_name}</strong> as <strong>{inv.role}</strong> ({inv.email}).
    </p>
  );
  if (signedIn) {
    return (
      <AuthCard title={`Join ${inv.workspace_name}`}>
        {intro}
        {signedIn.email.toLowerCase() !== inv.email.toLowerCase() ? (
          <p className="hint">You are signed in as {signedIn.email}; the invitation is accepted for this account.</p>
        ) : null}
        <form onSubmit={accept}>
          <ErrorText error={error} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            Accept invitation
          </button>
        </form>
      </AuthCard>
    );
  }
  if (inv.account_exists) {
    return (
      <AuthCard title={`Join ${inv.workspace_name}`}>
        {intro}
        <p>An account with this email exists: sign in, then accept.</p>
        <Link className="btn btn-primary btn-block" href={withQuery("/signin", { next: href })}>
          Sign in to accept
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title={`Join ${inv.workspace_name}`}>
      {intro}
      <form onSubmit={accept} noValidate>
        <Field label="Your name" error={fieldError(error, "name")}>
          <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </Field>
        <Field label="Choose a password" hint="At least 10 characters." error={fieldError(error, "password")}>
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        <ErrorText error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          Accept and create account
        </button>
      </form>
    </AuthCard>
  );
}
