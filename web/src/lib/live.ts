// Lists, threads and counts that stay current: loaded from the API, changed in place
// by realtime events, and reloaded whole on every realtime (re)connect.
import { useCallback, useEffect, useRef, useState } from "react";
import { call } from "../api/client";
import type { Conversation, Message } from "../api/types";
import { useWorkspace } from "../workspace";
import { applyConversation, mergeConversation, upsertMessage, type ListFilter } from "./conversations";

/** Runs fn at most once per wait ms, at the end: a burst of events makes one reload. */
function useCoalesced(fn: () => void, wait = 250): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      ref.current();
    }, wait);
  }, [wait]);
}

export interface LiveList {
  items: Conversation[];
  loading: boolean;
  error: unknown;
  more: boolean;
  loadMore: () => Promise<void>;
  reload: () => Promise<void>;
  /** Puts a conversation the page changed itself (accept, resolve…) in place at once. */
  put: (c: Conversation) => void;
  /** Takes out a conversation the page deleted itself, without waiting for its event. */
  remove: (id: string) => void;
}

/** How many conversations a page of the list holds, as the server's default. */
const PAGE = 50;

/** The most the server lists at once. */
const MAX_PAGE = 200;

/**
 * How many a reload asks for: as many as are listed (pages loaded with "load more"),
 * so that an event does not take the list back to its first page.
 */
export function reloadLimit(listed: number): number {
  return Math.min(MAX_PAGE, Math.max(PAGE, listed));
}

export function useConversationList(filter: ListFilter): LiveList {
  const w = useWorkspace();
  const key = JSON.stringify(filter);
  const [items, setItemsState] = useState<Conversation[]>([]);
  // Events are applied to the list as it is now, outside React's updaters (which may
  // run later), since whether to reload depends on the result.
  const itemsRef = useRef<Conversation[]>([]);
  const setItems = useCallback((fn: (prev: Conversation[]) => Conversation[]) => {
    itemsRef.current = fn(itemsRef.current);
    setItemsState(itemsRef.current);
  }, []);
  const [cursor, setCursor] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const run = useRef(0);
  // Events are matched as the server lists: with the caller's access rule too, and
  // days in the workspace's time zone.
  const filterRef = useRef<ListFilter>(filter);
  filterRef.current = { ...filter, access: w.view.access, timeZone: w.view.time_zone };

  const load = useCallback(
    async (after = "") => {
      const id = ++run.current;
      const f = filterRef.current;
      setLoading(true);
      try {
        const page = await call("get", "/api/v1/workspaces/{workspace}/conversations", {
          path: { workspace: w.slug },
          query: {
            kind: f.kind,
            pill: f.pill as never,
            state: f.state as never,
            archived: f.archived || undefined,
            assignee: f.assignee,
            connection: f.connection,
            q: f.q,
            tag: f.tag,
            label: f.label,
            team: f.team,
            sla: f.sla,
            from: f.from,
            to: f.to,
            sort: f.sort as never,
            cursor: after || undefined,
            limit: after ? PAGE : reloadLimit(itemsRef.current.length),
          },
        });
        if (id !== run.current) return;
        setItems((prev) => (after ? [...prev, ...page.items.filter((c) => !prev.some((p) => p.id === c.id))] : page.items));
        setCursor(page.next_cursor);
        setError(null);
      } catch (err) {
        if (id === run.current) setError(err);
      } finally {
        if (id === run.current) setLoading(false);
      }
    },
    [w.slug, setItems],
  );

  useEffect(() => {
    setItems(() => []);
    setCursor("");
    void load();
  }, [key, load]);

  const reloadSoon = useCoalesced(() => void load());

  useEffect(() => {
    const offEvents = w.realtime.subscribe((ev) => {
      if (ev.type === "conversation.deleted") {
        setItems((prev) => prev.filter((c) => c.id !== ev.conversation_id));
        return;
      }
      if (ev.type !== "conversation.updated") return;
      const r = applyConversation(itemsRef.current, ev.data, filterRef.current, w.me);
      setItems(() => r.list);
      if (r.reload) reloadSoon();
    });
    const offResync = w.realtime.onResync(() => void load());
    return () => {
      offEvents();
      offResync();
    };
  }, [w.realtime, w.me, load, reloadSoon, setItems]);

  const put = useCallback(
    (c: Conversation) => setItems((prev) => applyConversation(prev, c, filterRef.current, w.me, true).list),
    [w.me, setItems],
  );

  return {
    items,
    loading,
    error,
    more: cursor !== "",
    loadMore: () => load(cursor),
    reload: () => load(),
    put,
    remove: (id: string) => setItems((prev) => prev.filter((c) => c.id !== id)),
  };
}

/**
 * The left rail's counts of kind, live; for tickets, of one team's queue when team
 * names one (a team id, or "none" for the general queue), as the list beside them.
 */
export function useCounts(kind: "chat" | "ticket", team?: string): Record<string, number> | null {
  const w = useWorkspace();
  const [counts, setCounts] = useState<Record<string, number> | null>(null);
  const load = useCallback(async () => {
    try {
      const c = await call("get", "/api/v1/workspaces/{workspace}/conversations/counts", {
        path: { workspace: w.slug },
        query: { kind, team: team || undefined },
      });
      setCounts(c.counts);
    } catch {
      // Counts are a convenience; the list still works without them.
    }
  }, [w.slug, kind, team]);
  const soon = useCoalesced(() => void load());
  useEffect(() => {
    setCounts(null);
    void load();
    const off = w.realtime.subscribe((ev) => {
      if (ev.type === "counts.changed" && ev.data?.kind === kind) soon();
      // Accepting, resolving and archiving change counts without a counts event.
      if ((ev.type === "conversation.updated" || ev.type === "conversation.deleted") && ev.conversation_kind === kind) soon();
    });
    const offResync = w.realtime.onResync(() => void load());
    return () => {
      off();
      offResync();
    };
  }, [w.realtime, kind, load, soon]);
  return counts;
}

export interface LiveThread {
  conversation: Conversation | null;
  messages: Message[];
  loading: boolean;
  error: unknown;
  setConversation: (c: Conversation) => void;
  add: (m: Message) => void;
  reload: () => Promise<void>;
}

// A thread is read oldest first; the newest messages are on its last page.
const THREAD_PAGE = 200;
const THREAD_PAGES = 25;

export function useThread(conversationId: string | undefined): LiveThread {
  const w = useWorkspace();
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useRef(0);
  // A conversation change announced while the thread loads, applied over what it read.
  const loadingRef = useRef(false);
  const pendingConv = useRef<Conversation | null>(null);

  const load = useCallback(async () => {
    if (!conversationId) return;
    const id = ++run.current;
    setLoading(true);
    loadingRef.current = true;
    pendingConv.current = null;
    try {
      const path = { workspace: w.slug, conversation: conversationId };
      const [conv, msgs] = await Promise.all([
        call("get", "/api/v1/workspaces/{workspace}/conversations/{conversation}", { path }),
        (async () => {
          const out: Message[] = [];
          let cursor = "";
          for (let i = 0; i < THREAD_PAGES; i++) {
            const page = await call("get", "/api/v1/workspaces/{workspace}/conversations/{conversation}/messages", {
              path,
              query: { limit: THREAD_PAGE, cursor: cursor || undefined },
            });
            out.push(...page.items);
            if (!page.next_cursor) break;
            cursor = page.next_cursor;
          }
          return out;
        })(),
      ]);
      if (id !== run.current) return;
      // A change announced while the page loaded may be newer than what it read.
      const early = pendingConv.current as Conversation | null;
      pendingConv.current = null;
      setConversation(early && early.id === conv.id ? mergeConversation(conv, early) : conv);
      // Events that arrived while loading are newer than the pages: keep them, with
      // the stars the pages read (an event never carries the reader's).
      setMessages((prev) => prev.reduce((acc, m) => upsertMessage(acc, { ...m, starred: acc.find((x) => x.id === m.id)?.starred ?? m.starred }), msgs));
      setError(null);
    } catch (err) {
      if (id === run.current) setError(err);
    } finally {
      if (id === run.current) {
        setLoading(false);
        loadingRef.current = false;
      }
    }
  }, [w.slug, conversationId]);

  useEffect(() => {
    setConversation(null);
    setMessages([]);
    setError(null);
    void load();
  }, [load]);

  useEffect(() => {
    if (!conversationId) return;
    const off = w.realtime.subscribe((ev) => {
      if (ev.conversation_id !== conversationId) return;
      if (ev.type === "message.created" || ev.type === "message.updated") {
        // Stars are personal: an event never carries this reader's, so keep it.
        setMessages((prev) => upsertMessage(prev, { ...ev.data, starred: prev.find((x) => x.id === ev.data.id)?.starred ?? false }));
      } else if (ev.type === "conversation.updated") {
        if (loadingRef.current) pendingConv.current = { ...(pendingConv.current ?? {}), ...ev.data } as Conversation;
        setConversation((prev) => (prev ? mergeConversation(prev, ev.data) : prev));
      } else if (ev.type === "conversation.deleted") {
        run.current++; // a load in flight finds it gone anyway
        setConversation(null);
        setMessages([]);
        setError(new Error("This conversation was deleted."));
      }
    });
    const offResync = w.realtime.onResync(() => void load());
    return () => {
      off();
      offResync();
    };
  }, [w.realtime, conversationId, load]);

  return {
    conversation,
    messages,
    loading,
    error,
    setConversation,
    add: (m: Message) => setMessages((prev) => upsertMessage(prev, m)),
    reload: load,
  };
}
