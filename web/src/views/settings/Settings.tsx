// Settings: the sections the role may open. Managers and admins keep the workspace
// here (and set how the Team Inbox hands out tickets, and its teams); agents, who use the team's
// canned responses, open only those.
import { Link } from "../../router";
import { useWorkspace, type Workspace } from "../../workspace";
import { Access } from "./Access";
import { Assignment } from "./Assignment";
import { BusinessHours } from "./BusinessHours";
import { CannedResponses } from "./CannedResponses";
import { Connections } from "./Connections";
import { Members } from "./Members";
import { Teams } from "./Teams";
import { Wallet } from "./Wallet";

/** Whether the role keeps the workspace's settings: managers (reading most) and admins. */
function keepsSettings(w: Pick<Workspace, "view">): boolean {
  return w.view.role === "admin" || w.view.role === "manager";
}

/** The sections, each opened with its permission; forAgents: not only by those who keep the settings. */
export const SECTIONS = [
  { id: "members", label: "Members", permission: "members:read", page: Members },
  { id: "assignment", label: "Assignment", permission: "conversations:assign", page: Assignment },
  { id: "teams", label: "Teams", permission: "conversations:assign", page: Teams },
  { id: "connections", label: "Connections", permission: "channels:read", page: Connections },
  { id: "business-hours", label: "Business hours", permission: "workspace:read", page: BusinessHours },
  { id: "canned-responses", label: "Canned responses", permission: "canned:read", page: CannedResponses, forAgents: true },
  { id: "access", label: "Access", permission: "access:manage", page: Access },
  { id: "wallet", label: "Wallet", permission: "billing:read", page: Wallet },
] as const;

/** The sections the member may open. */
export function settingsSections(w: Pick<Workspace, "view" | "can">) {
  return SECTIONS.filter((s) => w.can(s.permission) && ("forAgents" in s || keepsSettings(w)));
}

export function Settings({ section }: { section?: string }) {
  const w = useWorkspace();
  const allowed = settingsSections(w);
  const current = allowed.find((s) => s.id === section) ?? allowed[0];
  const Page = current?.page;
  return (
    <div className="columns columns-settings">
      <nav className="pane pane-rail" aria-label="Settings">
        <h1 className="rail-title">Settings</h1>
        <ul className="rail">
          {allowed.map((s) => (
            <li key={s.id}>
              <Link href={`/w/${w.slug}/settings/${s.id}`} className={`rail-item${s === current ? " active" : ""}`} aria-current={s === current ? "page" : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <section className="pane pane-page">{Page ? <Page /> : null}</section>
    </div>
  );
}
