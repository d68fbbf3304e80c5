// The workspace being worked in: the caller's role and permissions there, its
// connections and members (names for the lists), and its realtime events.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, call } from "./api/client";
import { Realtime, realtimeURL, type RealtimeStatus } from "./api/realtime";
import type { Connection, Member, WorkspaceView } from "./api/types";
import { useSession } from "./session";

export interface Workspace {
  slug: string;
  view: WorkspaceView;
  me: string;
  can: (permission: string) => boolean;
  /** null when the role may not read connections (agents, viewers, managers). */
  connections: Connection[] | null;
  members: Member[];
  realtime: Realtime;
  realtimeStatus: RealtimeStatus;
  reloadConnections: () => Promise<void>;
  reloadMembers: () => Promise<void>;
}

const Ctx = createContext<Workspace | null>(null);

export function useWorkspace(): Workspace {
  const w = useContext(Ctx);
  if (!w) throw new Error("useWorkspace outside WorkspaceProvider");
  return w;
}

/** Lets tests and stories render a view inside a given workspace. */
export const WorkspaceContext = Ctx;

async function allPages<T>(load: (cursor: string) => Promise<{ items: T[]; next_cursor: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor = "";
  for (let i = 0; i < 20; i++) {
    const page = await load(cursor);
    out.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

export function loadConnections(slug: string): Promise<Connection[]> {
  return allPages((cursor) =>
    call("get", "/api/v1/workspaces/{workspace}/connections", { path: { workspace: slug }, query: { limit: 200, cursor } }),
  );
}

export function loadMembers(slug: string): Promise<Member[]> {
  return allPages((cursor) =>
    call("get", "/api/v1/workspaces/{workspace}/members", { path: { workspace: slug }, query: { limit: 200, cursor } }),
  );
}

type Loaded =
  | { status: "loading" }
  | { status: "error"; error: unknown }
  | { status: "ready"; view: WorkspaceView; connections: Connection[] | null; members: Member[] };

export function WorkspaceProvider({
  slug,
  children,
  fallback,
}: {
  slug: string;
  children: ReactNode;
  fallback: (state: { loading: boolean; error?: unknown }) => ReactNode;
}) {
  const session = useSession();
  const me = session.state.status === "signedIn" ? session.state.user.id : "";
  const [loaded, setLoaded] = useState<Loaded>({ status: "loading" });
  const [realtime, setRealtime] = useState<Realtime | null>(null);
  const [rtStatus, setRtStatus] = useState<RealtimeStatus>("connecting");

  useEffect(() => {
    let live = true;
    setLoaded({ status: "loading" });
    (async () => {
      const view = await call("get", "/api/v1/workspaces/{workspace}", { path: { workspace: slug } });
      const can = (p: string) => view.permissions.includes(p);
      const [connections, members] = await Promise.all([
        can("channels:read") ? loadConnections(slug) : Promise.resolve(null),
        can("members:read") ? loadMembers(slug) : Promise.resolve([] as Member[]),
      ]);
      if (live) setLoaded({ status: "ready", view, connections, members });
    })().catch((error) => live && setLoaded({ status: "error", error }));
    return () => {
      live = false;
    };
  }, [slug]);

  useEffect(() => {
    if (loaded.status !== "ready") return;
    const rt = new Realtime(realtimeURL(slug), {
      // A socket refused before it was ready may mean the session ended: asking the
      // API says so (and a 401 signs the page out).
      onRefused: () => {
        call("get", "/api/v1/me").catch(() => undefined);
      },
    });
    const off = rt.onStatus(setRtStatus);
    // The caller's role or access rule changed: reload the workspace (its role,
    // permissions and rule), then what the views show.
    const offAccess = rt.onAccessChanged(() => {
      call("get", "/api/v1/workspaces/{workspace}", { path: { workspace: slug } })
        .then((view) => {
          setLoaded((l) => (l.status === "ready" ? { ...l, view } : l));
          rt.resync();
        })
        .catch(() => undefined);
    });
    rt.start();
    setRealtime(rt);
    return () => {
      off();
      offAccess();
      rt.stop();
    };
    // The socket belongs to the workspace, not to each reload of its details.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug, loaded.status === "ready"]);

  const value = useMemo<Workspace | null>(() => {
    if (loaded.status !== "ready" || !realtime) return null;
    const { view, connections, members } = loaded;
    return {
      slug,
      view,
      me,
      can: (p: string) => view.permissions.includes(p),
      connections,
      members,
      realtime,
      realtimeStatus: rtStatus,
      reloadConnections: async () => {
        const cs = await loadConnections(slug);
        setLoaded((l) => (l.status === "ready" ? { ...l, connections: cs } : l));
      },
      reloadMembers: async () => {
        const ms = await loadMembers(slug);
        setLoaded((l) => (l.status === "ready" ? { ...l, members: ms } : l));
      },
    };
  }, [loaded, realtime, rtStatus, slug, me]);

  if (loaded.status === "error") return <>{fallback({ loading: false, error: loaded.error })}</>;
  if (!value) return <>{fallback({ loading: true })}</>;
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}
