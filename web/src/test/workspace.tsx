// Rendering a view inside a workspace without loading one: the workspace's details,
// role and connections as the test gives them.
import { act, render } from "@testing-library/react";
import type { ReactElement } from "react";
import type { Realtime, RealtimeEvent } from "../api/realtime";
import type { Connection, WorkspaceView } from "../api/types";
import { SessionProvider, type SessionState } from "../session";
import { WorkspaceContext, type Workspace } from "../workspace";

export const AGENT = ["conversations:read", "conversations:reply", "conversations:accept", "members:read", "workspace:read", "contacts:read", "contacts:manage", "templates:read", "canned:read"];
export const VIEWER = ["conversations:read", "members:read", "workspace:read", "contacts:read", "templates:read"];
export const MANAGER = [...AGENT, "chat:read", "chat:send", "conversations:assign", "conversations:delete", "templates:manage", "canned:manage", "reports:read"];
export const ADMIN = [...AGENT, "chat:read", "chat:send", "conversations:assign", "conversations:delete", "canned:manage", "members:manage", "channels:read", "channels:manage", "billing:read", "billing:manage", "workspace:manage"];

export function connection(p: Partial<Connection> = {}): Connection {
  return {
    id: "conn1",
    public_id: "pub1",
    plugin: "whatsapp",
    kind: "whatsapp",
    engine: "cloud",
    display_name: "Demo WhatsApp",
    address: "+15550000001",
    config: {},
    status: "active",
    status_reason: "",
    created_at: "2030-01-01T00:00:00Z",
    updated_at: "2030-01-01T00:00:00Z",
    webhook_url: "https://example.test/hooks/pub1",
    ...p,
  };
}

export function fakeWorkspace(p: Partial<Workspace> & { permissions?: string[]; role?: string; features?: Partial<WorkspaceView["plan"]["features"]> } = {}): Workspace {
  const { permissions = ADMIN, role = "admin", features = {}, ...rest } = p;
  return {
    slug: "demo",
    view: {
      id: "w1", slug: "demo", name: "Demo Company", time_zone: "UTC", plan_id: "p", created_at: "", updated_at: "",
      plan: { code: "business", name: "Business", features }, role, permissions,
    } as unknown as Workspace["view"],
    me: "u1",
    can: (x: string) => permissions.includes(x),
    connections: [connection()],
    members: [],
    // No events: the view shows what it loads.
    realtime: { subscribe: () => () => undefined, onResync: () => () => undefined, onStatus: () => () => undefined } as unknown as Realtime,
    realtimeStatus: "live",
    reloadConnections: async () => undefined,
    reloadMembers: async () => undefined,
    ...rest,
  };
}

/**
 * Renders ui in the workspace (an admin's, with one WhatsApp connection, unless told
 * otherwise), signed out unless a session is given.
 */
/** A workspace (as fakeWorkspace makes it from p) whose realtime events the test sends. */
export function liveWorkspace(p: Parameters<typeof fakeWorkspace>[0] = {}) {
  const listeners: ((ev: RealtimeEvent) => void)[] = [];
  const realtime = {
    subscribe: (l: (ev: RealtimeEvent) => void) => {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    },
    onResync: () => () => undefined,
    onStatus: () => () => undefined,
  } as unknown as Realtime;
  const send = (ev: RealtimeEvent) => act(() => listeners.forEach((l) => l(ev)));
  return { w: fakeWorkspace({ ...p, realtime }), send };
}

export function renderInWorkspace(ui: ReactElement, w: Workspace = fakeWorkspace(), session: SessionState = { status: "signedOut" }) {
  return render(
    <SessionProvider initial={session}>
      <WorkspaceContext.Provider value={w}>{ui}</WorkspaceContext.Provider>
    </SessionProvider>,
  );
}
