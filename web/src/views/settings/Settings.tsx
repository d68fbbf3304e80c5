// Settings: the sections the role may open.
import { Link } from "../../router";
import { useWorkspace } from "../../workspace";
import { Access } from "./Access";
import { BusinessHours } from "./BusinessHours";
import { Connections } from "./Connections";
import { Members } from "./Members";
import { Wallet } from "./Wallet";

export const SECTIONS = [
  { id: "members", label: "Members", permission: "members:read", page: Members },
  { id: "connections", label: "Connections", permission: "channels:read", page: Connections },
  { id: "business-hours", label: "Business hours", permission: "workspace:read", page: BusinessHours },
  { id: "access", label: "Access", permission: "access:manage", page: Access },
  { id: "wallet", label: "Wallet", permission: "billing:read", page: Wallet },
] as const;

export function Settings({ section }: { section?: string }) {
  const w = useWorkspace();
  const allowed = SECTIONS.filter((s) => w.can(s.permission));
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
