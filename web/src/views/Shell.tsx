// The frame around every signed-in page: the workspace switcher, the navigation the
// role allows, the realtime connection's state, theme and sign-out.
import { useEffect, useState, type ReactNode } from "react";
import { call } from "../api/client";
import { AvailabilityControl, EnableNotifications } from "../components/Availability";
import { Dialog, DialogActions } from "../components/Dialog";
import { fieldError } from "../components/Feedback";
import { Field } from "../components/Field";
import { ChatIcon, ContactsIcon, GearIcon, InboxIcon, PlugIcon } from "../components/Icons";
import { useAssignmentNotices } from "../lib/assignment";
import { useCounts } from "../lib/live";
import { credits } from "../lib/format";
import { useAction } from "../lib/useAction";
import { Link, navigate } from "../router";
import { useSession } from "../session";
import { ThemeToggle } from "../theme";
import { useWorkspace, type Workspace } from "../workspace";
import { settingsSections } from "./settings/Settings";

export type Section = "chat" | "inbox" | "contacts" | "settings" | "plugins" | "none";

/** Chat is for managers and admins (chat:read); agents and viewers work the Team Inbox. */
export function canChat(w: Pick<Workspace, "can">): boolean {
  return w.can("chat:read");
}

/**
 * Settings: the members, assignment, business hours and canned responses for managers;
 * connections, access and the wallet too for admins; the canned responses alone for agents.
 */
export function canSettings(w: Pick<Workspace, "view" | "can">): boolean {
  return settingsSections(w).length > 0;
}

export function CreateWorkspaceDialog({ onClose }: { onClose: () => void }) {
  const session = useSession();
  const [name, setName] = useState("");
  const action = useAction();
  const submit = action.submit(async () => {
    const ws = await call("post", "/api/v1/workspaces", { body: { name } });
    await session.refresh();
    onClose();
    navigate(`/w/${ws.slug}`);
  });
  return (
    <Dialog title="New workspace" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Business name" error={fieldError(action.error, "name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </Field>
        <DialogActions onCancel={onClose} busy={action.busy} disabled={!name.trim()} error={action.error}>
          Create workspace
        </DialogActions>
      </form>
    </Dialog>
  );
}

function Switcher({ current }: { current?: string }) {
  const session = useSession();
  const [creating, setCreating] = useState(false);
  if (session.state.status !== "signedIn") return null;
  const ms = session.state.memberships;
  return (
    <>
      <label className="sr-only" htmlFor="workspace-switcher">
        Workspace
      </label>
      <select
        id="workspace-switcher"
        className="switcher"
        value={current ?? ""}
        onChange={(e) => {
          if (e.target.value === "__new") setCreating(true);
          else if (e.target.value) navigate(`/w/${e.target.value}`);
        }}
      >
        {!current ? <option value="">Choose a workspace</option> : null}
        {ms.map((m) => (
          <option key={m.workspace_id} value={m.slug}>
            {m.name} · {m.role}
          </option>
        ))}
        <option value="__new">New workspace…</option>
      </select>
      {creating ? <CreateWorkspaceDialog onClose={() => setCreating(false)} /> : null}
    </>
  );
}

function NavItem({ href, active, icon, label, badge }: { href: string; active: boolean; icon: ReactNode; label: string; badge?: number }) {
  return (
    <Link href={href} className={`nav-item${active ? " active" : ""}`} aria-current={active ? "page" : undefined}>
      {icon}
      <span>{label}</span>
      {badge ? (
        <span className="badge" aria-label={`${badge} waiting`}>
          {badge}
        </span>
      ) : null}
    </Link>
  );
}

function WorkspaceNav({ section }: { section: Section }) {
  const w = useWorkspace();
  const tickets = useCounts("ticket");
  const base = `/w/${w.slug}`;
  return (
    <>
      {canChat(w) ? <NavItem href={`${base}/chat`} active={section === "chat"} icon={<ChatIcon />} label="Chat" /> : null}
      <NavItem href={`${base}/inbox`} active={section === "inbox"} icon={<InboxIcon />} label="Team Inbox" badge={tickets?.queued} />
      {w.can("contacts:read") ? <NavItem href={`${base}/contacts`} active={section === "contacts"} icon={<ContactsIcon />} label="Contacts" /> : null}
      {canSettings(w) ? <NavItem href={`${base}/settings`} active={section === "settings"} icon={<GearIcon />} label="Settings" /> : null}
    </>
  );
}

function RealtimeState() {
  const w = useWorkspace();
  if (w.realtimeStatus === "live") {
    return (
      <span className="rt-state rt-live" title="Live updates are on">
        <span className="dot" aria-hidden="true" /> Live
      </span>
    );
  }
  return (
    <span className="rt-state rt-off" role="status">
      <span className="dot" aria-hidden="true" /> {w.realtimeStatus === "connecting" ? "Connecting…" : "Reconnecting…"}
    </span>
  );
}

/** For a member who holds tickets: their availability for the queue, and notices of tickets handed to them. */
function TicketHolder() {
  useAssignmentNotices();
  return (
    <>
      <AvailabilityControl />
      <EnableNotifications />
    </>
  );
}

function MemberStatus() {
  const w = useWorkspace();
  return w.can("conversations:accept") ? <TicketHolder /> : null;
}

/** WalletAlert tells members who see billing, as it happens, that the wallet fell to its low-balance alert level or that its auto-recharge failed to pay. */
function WalletAlert() {
  const w = useWorkspace();
  const [alert, setAlert] = useState<string | null>(null);
  const billing = w.can("billing:read");
  useEffect(() => {
    if (!billing) return undefined;
    return w.realtime.subscribe((ev) => {
      if (ev.type === "wallet.low") setAlert(`Message credits are low: ${credits(ev.data.balance)} left. Sends fail once they run out.`);
      if (ev.type === "wallet.auto_recharge_paused") setAlert(`Auto-recharge is paused: ${ev.data.reason}.`);
    });
  }, [w.realtime, billing]);
  if (alert === null) return null;
  return (
    <div className="notice notice-warn wallet-alert" role="alert">
      <span>{alert}</span>
      <span className="row">
        <Link href={`/w/${w.slug}/settings/wallet`} className="btn btn-primary" onClick={() => setAlert(null)}>
          Top up
        </Link>
        <button type="button" className="btn btn-quiet" onClick={() => setAlert(null)}>
          Dismiss
        </button>
      </span>
    </div>
  );
}

/** workspace names the workspace of the page; loaded says its details are in (the navigation needs them). */
export function Shell({
  section,
  workspace,
  loaded = true,
  children,
}: {
  section: Section;
  workspace?: string;
  loaded?: boolean;
  children: ReactNode;
}) {
  const session = useSession();
  const user = session.state.status === "signedIn" ? session.state.user : null;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="Switchboard home">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Switchboard</span>
        </Link>
        <Switcher current={workspace} />
        <nav className="nav" aria-label="Main">
          {workspace && loaded ? <WorkspaceNav section={section} /> : null}
          {user?.is_operator ? (
            <NavItem href="/operator/plugins" active={section === "plugins"} icon={<PlugIcon />} label="Plugins" />
          ) : null}
        </nav>
        <div className="topbar-end">
          {workspace && loaded ? <RealtimeState /> : null}
          <ThemeToggle />
          {workspace && loaded ? <MemberStatus /> : null}
          {user ? (
            <span className="user" title={user.email}>
              {user.name || user.email}
            </span>
          ) : null}
          <button type="button" className="btn btn-quiet" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="main" id="main" tabIndex={-1}>
        {workspace && loaded ? <WalletAlert /> : null}
        {children}
      </div>
    </div>
  );
}
