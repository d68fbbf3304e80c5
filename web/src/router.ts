// A small router over the History API. The app's URLs, which the server answers with
// the app (web/embed.go, appPages and appPrefixes, must list the same):
//
//   /signin, /signup, /invitations/accept?token=…
//   /w/:workspace                        the role's home (Chat or Team Inbox)
//   /w/:workspace/chat[/:conversation]   Chat (managers, admins)
//   /w/:workspace/inbox[/:conversation]  Team Inbox
//   /w/:workspace/contacts[/:contact]    Contacts and their groups
//   /w/:workspace/settings[/:section]    members, assignment, teams, connections, business-hours, canned-responses, access, wallet
//   /operator/plugins                    the platform operator's installed plugins
import { createElement, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

const listeners = new Set<() => void>();

function notify() {
  listeners.forEach((fn) => fn());
}

window.addEventListener("popstate", notify);

function subscribe(fn: () => void) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function snapshot() {
  return window.location.pathname + window.location.search;
}

/** The current path and query, re-rendering on every navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const i = href.indexOf("?");
  const pathname = i < 0 ? href : href.slice(0, i);
  return { pathname, search: new URLSearchParams(i < 0 ? "" : href.slice(i)), href };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  notify();
}

/** Matches a pattern like /w/:workspace/chat/:conversation? against a path. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const ps = pattern.split("/").filter(Boolean);
  const xs = pathname.split("/").filter(Boolean);
  const out: Record<string, string> = {};
  let i = 0;
  for (; i < ps.length; i++) {
    const p = ps[i];
    const optional = p.endsWith("?");
    const name = p.replace(/^:/, "").replace(/\?$/, "");
    const x = xs[i];
    if (x === undefined) {
      if (optional) continue;
      return null;
    }
    if (p.startsWith(":")) out[name] = decodeURIComponent(x);
    else if (p !== x) return null;
  }
  return xs.length > ps.length ? null : out;
}

/** A link that navigates without reloading; ctrl/cmd-click still opens a new tab. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; replace?: boolean }) {
  const { replace, onClick, ...rest } = props;
  return createElement("a", {
    ...rest,
    onClick: (e: MouseEvent<HTMLAnchorElement>) => {
      onClick?.(e);
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(props.href, { replace });
    },
  });
}

/** Builds a path with a query, leaving out empty values. */
export function withQuery(path: string, q: Record<string, string | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) s.set(k, v);
  const qs = s.toString();
  return qs ? `${path}?${qs}` : path;
}
