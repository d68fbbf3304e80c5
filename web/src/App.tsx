// The app's routes (see router.ts for the list of URLs).
import { useEffect, useState, type ReactNode } from "react";
import { Empty, ErrorText, Loading } from "./components/Feedback";
import { match, navigate, useLocation, withQuery } from "./router";
import { homePath, SessionProvider, useSession } from "./session";
import { AcceptInvitation, SignIn, SignUp } from "./views/Auth";
import { ChatView } from "./views/ChatView";
import { ContactsView } from "./views/ContactsView";
import { InboxView } from "./views/InboxView";
import { Plugins } from "./views/Plugins";
import { Settings } from "./views/settings/Settings";
import { canChat, canSettings, CreateWorkspaceDialog, Shell, type Section } from "./views/Shell";
import { isNotFound, useWorkspace, WorkspaceProvider } from "./workspace";

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function WorkspacePage({ slug, rest }: { slug: string; rest: string }) {
  const w = useWorkspace();
  const base = `/w/${slug}`;
  const home = canChat(w) ? `${base}/chat` : `${base}/inbox`;
  let m: Record<string, string> | null;
  if ((m = match("/chat/:conversation?", rest))) {
    // Agents and viewers have no Chat: its links take them to the Team Inbox.
    if (!canChat(w)) return <Redirect to={`${base}/inbox`} />;
    return <ChatView conversation={m.conversation} />;
  }
  if ((m = match("/inbox/:conversation?", rest))) return <InboxView conversation={m.conversation} />;
  if ((m = match("/contacts/:contact?", rest))) {
    if (!w.can("contacts:read")) return <Redirect to={home} />;
    return <ContactsView contact={m.contact} />;
  }
  if ((m = match("/settings/:section?", rest))) {
    if (!canSettings(w)) return <Redirect to={`${base}/inbox`} />;
    return <Settings section={m.section} />;
  }
  return <Redirect to={home} />;
}

function sectionOf(rest: string): Section {
  const s = rest.split("/")[1];
  return s === "chat" || s === "inbox" || s === "contacts" || s === "settings" ? s : "none";
}

function InWorkspace({ slug, rest }: { slug: string; rest: string }) {
  return (
    <WorkspaceProvider
      key={slug}
      slug={slug}
      fallback={({ loading, error }) => (
        <Shell section="none" workspace={slug} loaded={false}>
          {loading ? (
            <Loading label="Opening workspace…" />
          ) : isNotFound(error) ? (
            <Empty title="Workspace not found">You are not a member of “{slug}”, or it does not exist.</Empty>
          ) : (
            <ErrorText error={error} />
          )}
        </Shell>
      )}
    >
      <Shell section={sectionOf(rest)} workspace={slug}>
        <WorkspacePage slug={slug} rest={rest} />
      </Shell>
    </WorkspaceProvider>
  );
}

function NoWorkspace() {
  const [creating, setCreating] = useState(false);
  return (
    <Shell section="none">
      <Empty title="You are not in a workspace yet">
        <p>Ask for an invitation, or start your own.</p>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          New workspace
        </button>
      </Empty>
      {creating ? <CreateWorkspaceDialog onClose={() => setCreating(false)} /> : null}
    </Shell>
  );
}

function OperatorOnly({ children }: { children: ReactNode }) {
  const session = useSession();
  if (session.state.status !== "signedIn" || !session.state.user.is_operator) {
    return (
      <Shell section="plugins">
        <Empty title="For platform operators">Only platform operators manage the installed plugins.</Empty>
      </Shell>
    );
  }
  return (
    <Shell section="plugins">
      <div className="page-wrap">{children}</div>
    </Shell>
  );
}

function Routes() {
  const { pathname, href } = useLocation();
  const session = useSession();
  const st = session.state;
  if (st.status === "loading") {
    return (
      <div className="fullpage">
        <Loading />
      </div>
    );
  }
  if (pathname === "/invitations/accept") return <AcceptInvitation />;
  if (st.status === "signedOut") {
    if (pathname === "/signup") return <SignUp />;
    if (pathname === "/signin") return <SignIn />;
    return <Redirect to={pathname === "/" ? "/signin" : withQuery("/signin", { next: href })} />;
  }
  if (pathname === "/signin" || pathname === "/signup" || pathname === "/") return <Redirect to={homePath(st.memberships, st.user)} />;
  if (pathname === "/w" || pathname === "/w/") return st.memberships.length ? <Redirect to={homePath(st.memberships, st.user)} /> : <NoWorkspace />;
  const ws = /^\/w\/([^/]+)(\/.*)?$/.exec(pathname);
  if (ws) return <InWorkspace slug={decodeURIComponent(ws[1])} rest={ws[2] ?? ""} />;
  if (match("/operator/plugins", pathname)) {
    return (
      <OperatorOnly>
        <Plugins />
      </OperatorOnly>
    );
  }
  return (
    <Shell section="none">
      <Empty title="Page not found" />
    </Shell>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routes />
    </SessionProvider>
  );
}
