// Who is signed in, and their workspaces.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, call, onUnauthorized } from "./api/client";
import type { SessionResponse, User, WorkspaceRole } from "./api/types";
import { navigate } from "./router";

export type SessionState =
  | { status: "loading" }
  | { status: "signedOut" }
  | { status: "signedIn"; user: User; memberships: WorkspaceRole[] };

export interface Session {
  state: SessionState;
  /** After sign-in, sign-up or accepting an invitation. */
  started: (s: SessionResponse) => void;
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

const Ctx = createContext<Session | null>(null);

export function SessionProvider({ children, initial }: { children: ReactNode; initial?: SessionState }) {
  const [state, setState] = useState<SessionState>(initial ?? { status: "loading" });

  const refresh = useCallback(async () => {
    try {
      const me = await call("get", "/api/v1/me");
      if (me.user) setState({ status: "signedIn", user: me.user, memberships: me.memberships });
      else setState({ status: "signedOut" });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setState({ status: "signedOut" });
      else throw err;
    }
  }, []);

  useEffect(() => {
    if (!initial) refresh().catch(() => setState({ status: "signedOut" }));
  }, [initial, refresh]);

  useEffect(
    () =>
      onUnauthorized(() => {
        setState({ status: "signedOut" });
      }),
    [],
  );

  const started = useCallback((s: SessionResponse) => {
    setState({ status: "signedIn", user: s.user, memberships: s.memberships });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await call("post", "/api/v1/auth/logout");
    } catch {
      // The session may be gone already; signed out either way.
    }
    setState({ status: "signedOut" });
    navigate("/signin");
  }, []);

  const value = useMemo(() => ({ state, started, refresh, signOut }), [state, started, refresh, signOut]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/**
 * The signed-in user, or null: signed out, or outside the session (a component shown
 * on its own, as in a test).
 */
export function useSignedInUser(): User | null {
  const s = useContext(Ctx);
  return s?.state.status === "signedIn" ? s.state.user : null;
}

/** Where a signed-in user starts: their first workspace, or the operator's page. */
export function homePath(memberships: WorkspaceRole[], user?: User): string {
  if (memberships.length > 0) return `/w/${memberships[0].slug}`;
  if (user?.is_operator) return "/operator/plugins";
  return "/w";
}
