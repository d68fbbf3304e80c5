// Sign in, sign up and accepting an invitation.
import type { ReactNode } from "react";
import { call } from "../api/client";
import type { SessionResponse } from "../api/types";
import { ErrorText, fieldError, Loading } from "../components/Feedback";
import { Field } from "../components/Field";
import { useAction, useFormValues, type Action } from "../lib/useAction";
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

/** The error and the full-width submit button that end each form. */
function Submit({ action, children }: { action: Action; children: ReactNode }) {
  return (
    <>
      <ErrorText error={action.error} />
      <button type="submit" className="btn btn-primary btn-block" disabled={action.busy}>
        {children}
      </button>
    </>
  );
}

/** Signed in: to the page given, else into the workspace the answer names, else home. */
function useEnter() {
  const session = useSession();
  return (s: SessionResponse, to?: string) => {
    session.started(s);
    navigate(to ?? (s.workspace ? `/w/${s.workspace.slug}` : homePath(s.memberships, s.user)), { replace: true });
  };
}

/** Where to go after signing in: a same-site path given as ?next=, or home. */
function nextPath(search: URLSearchParams, fallback: string): string {
  const next = search.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : fallback;
}

export function SignIn() {
  const { search } = useLocation();
  const enter = useEnter();
  const { values, field } = useFormValues({ email: "", password: "" });
  const action = useAction();
  const { error } = action;

  const submit = action.submit(async () => {
    const s = await call("post", "/api/v1/auth/login", { body: values });
    enter(s, nextPath(search, homePath(s.memberships, s.user)));
  });

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
          <input type="email" autoComplete="username" {...field("email")} required autoFocus />
        </Field>
        <Field label="Password" error={fieldError(error, "password")}>
          <input type="password" autoComplete="current-password" {...field("password")} required />
        </Field>
        <Submit action={action}>{action.busy ? "Signing in…" : "Sign in"}</Submit>
      </form>
    </AuthCard>
  );
}

export function SignUp() {
  const enter = useEnter();
  const { values, field } = useFormValues({ name: "", email: "", password: "", workspace_name: "" });
  const action = useAction();
  const { error } = action;
  const submit = action.submit(async () => enter(await call("post", "/api/v1/auth/signup", { body: values })));

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
          <input autoComplete="name" {...field("name")} required autoFocus />
        </Field>
        <Field label="Email" error={fieldError(error, "email")}>
          <input type="email" autoComplete="email" {...field("email")} required />
        </Field>
        <Field label="Password" hint="At least 10 characters." error={fieldError(error, "password")}>
          <input type="password" autoComplete="new-password" {...field("password")} required />
        </Field>
        <Field label="Business name" hint="Your workspace; you can invite your team next." error={fieldError(error, "workspace_name")}>
          <input autoComplete="organization" {...field("workspace_name")} required />
        </Field>
        <Submit action={action}>{action.busy ? "Creating…" : "Create account"}</Submit>
      </form>
    </AuthCard>
  );
}

export function AcceptInvitation() {
  const { search, href } = useLocation();
  const token = search.get("token") ?? "";
  const session = useSession();
  const enter = useEnter();
  const preview = useAsync(
    (signal) => call("get", "/api/v1/invitations/{token}", { path: { token }, signal }),
    [token],
  );
  const { values, field } = useFormValues({ name: "", password: "" });
  const action = useAction();
  const { error } = action;
  const signedIn = session.state.status === "signedIn" ? session.state.user : null;

  const accept = action.submit(async () =>
    enter(await call("post", "/api/v1/invitations/accept", { body: signedIn ? { token } : { token, ...values } })),
  );

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
          <Submit action={action}>Accept invitation</Submit>
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
          <input autoComplete="name" {...field("name")} required autoFocus />
        </Field>
        <Field label="Choose a password" hint="At least 10 characters." error={fieldError(error, "password")}>
          <input type="password" autoComplete="new-password" {...field("password")} required />
        </Field>
        <Submit action={action}>Accept and create account</Submit>
      </form>
    </AuthCard>
  );
}
