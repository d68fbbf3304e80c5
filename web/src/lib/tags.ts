// Tags (what a conversation is about: billing, VIP) and labels (what it needs:
// Follow-up, Escalated …): each name once whatever its case, as the server keeps them,
// and the names in use that the pickers suggest and the Team Inbox filters by.
import { useEffect } from "react";
import { call } from "../api/client";
import type { TagsInUse } from "../api/types";
import { useWorkspace } from "../workspace";
import { useAsync } from "./useAsync";

export type TagKind = "tags" | "labels";

/** Whether names holds name, whatever its case. */
export function hasName(names: readonly string[], name: string): boolean {
  const n = name.trim().toLowerCase();
  return names.some((x) => x.toLowerCase() === n);
}

/**
 * What typing name and Enter adds: the words as the server keeps them (trimmed, single
 * spaces), spelled as a name already in use is, so "vip" joins the team's "VIP".
 */
export function typedName(typed: string, known: readonly string[]): string {
  const n = typed.trim().split(/\s+/).join(" ");
  return known.find((k) => k.toLowerCase() === n.toLowerCase()) ?? n;
}

/**
 * The names offered while typing: those in use (most used first, as listed) that
 * contain what is typed and the conversation does not carry yet.
 */
export function suggestNames(known: readonly string[], typed: string, taken: readonly string[], limit = 8): string[] {
  const q = typed.trim().toLowerCase();
  return known.filter((k) => k.toLowerCase().includes(q) && !hasName(taken, k)).slice(0, limit);
}

// Mounted lists of names in use, by workspace: a change to a conversation's set loads
// them again, so a new tag is offered and filtered by at once.
const listeners = new Map<string, Set<() => void>>();

/** Tells the lists of names in use that a conversation's tags or labels changed. */
export function tagsChanged(slug: string) {
  listeners.get(slug)?.forEach((l) => l());
}

/**
 * The workspace's names in use (GET …/conversation-tags), loaded once enabled; they are
 * a convenience, so a failure leaves them empty.
 */
export function useTagsInUse(enabled = true): TagsInUse | undefined {
  const w = useWorkspace();
  const known = useAsync(
    (signal) => (enabled ? call("get", "/api/v1/workspaces/{workspace}/conversation-tags", { path: { workspace: w.slug }, signal }) : Promise.resolve(undefined)),
    [w.slug, enabled],
  );
  const { reload } = known;
  useEffect(() => {
    if (!enabled) return;
    const set = listeners.get(w.slug) ?? new Set();
    listeners.set(w.slug, set);
    const l = () => void reload();
    set.add(l);
    return () => {
      set.delete(l);
    };
  }, [w.slug, enabled, reload]);
  return known.data;
}
