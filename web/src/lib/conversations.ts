// Keeping a loaded list and thread current from realtime events, without reloading
// what an event already says.
import type { Conversation, ConversationChange, Message } from "../api/types";
import { dayIn } from "./format";
import { slaBreaches } from "./sla";
import { GENERAL_QUEUE } from "./teams";
import { hasName } from "./tags";

export interface ListFilter {
  kind: "chat" | "ticket";
  pill?: string;
  state?: string;
  archived?: boolean;
  /** me, unassigned or a user id */
  assignee?: string;
  connection?: string;
  q?: string;
  /** carries this tag (any case) */
  tag?: string;
  /** carries this label (any case) */
  label?: string;
  /** a team's id: the tickets in its queue; none: those of no team (the general queue) */
  team?: string;
  /** breached: only tickets that missed an SLA target */
  sla?: "breached";
  /** last active on or after this day (YYYY-MM-DD), in the workspace's time zone */
  from?: string;
  /** last active on or before this day (YYYY-MM-DD, the whole of it), in the workspace's time zone */
  to?: string;
  /** newest (the default), oldest, az or za: the order the server pages in */
  sort?: string;
  /** The caller's access rule, which the server applies to every list. */
  access?: { mode: string; unassigned: boolean; connection_ids: string[] };
  /** The workspace's time zone, in which the server reads from and to. */
  timeZone?: string;
}

/** Whether a conversation belongs in the list the filter shows (as the server decides it). */
export function matches(c: ConversationChange, f: ListFilter, me: string, now: number = Date.now()): boolean {
  if (c.kind !== f.kind) return false;
  if (c.archived !== (f.archived ?? false)) return false;
  if (f.pill && c.pill !== f.pill) return false;
  if (f.state && c.state !== f.state) return false;
  if (f.connection && c.connection_id !== f.connection) return false;
  if (f.assignee === "me" && c.assignee_id !== me) return false;
  if (f.assignee === "unassigned" && c.assignee_id) return false;
  if (f.assignee && f.assignee !== "me" && f.assignee !== "unassigned" && c.assignee_id !== f.assignee) return false;
  if (f.team === GENERAL_QUEUE ? !!c.team_id : f.team && c.team_id !== f.team) return false;
  if ((f.from || f.to) && !activeWithin(c.last_activity_at, f)) return false;
  const a = f.access;
  if (a && a.connection_ids.length && !a.connection_ids.includes(c.connection_id)) return false;
  if (a?.mode === "assignee" && !(c.assignee_id ? c.assignee_id === me : a.unassigned)) return false;
  if (f.q && !matchesQuery(c, f.q)) return false;
  // Judged by the ticket's clocks, which every change carries, as the server judges it now.
  if (f.sla === "breached" && slaBreaches(c, now).length === 0) return false;
  // An event does not carry the tags and labels: only a conversation that says its own
  // (the answer to this member's change) is judged by them here.
  if (f.tag && c.tags && !hasName(c.tags, f.tag)) return false;
  if (f.label && c.labels && !hasName(c.labels, f.label)) return false;
  return true;
}

/** Whether the conversation was last active within the filter's days, as the workspace's calendar has them. */
function activeWithin(at: string, f: ListFilter): boolean {
  const day = dayIn(at, f.timeZone);
  return (!f.from || day >= f.from) && (!f.to || day <= f.to);
}

/** Whether the list is filtered by tags or labels that the change does not say. */
function unsureOfTags(c: ConversationChange, f: ListFilter): boolean {
  return (!!f.tag && !c.tags) || (!!f.label && !c.labels);
}

/**
 * Whether a search may find the conversation, from what an event says of it: its
 * title, its last message, its contact (when the event has it). The server also
 * searches every message of the thread, which an event does not carry: a
 * conversation already listed stays (see applyConversation).
 */
function matchesQuery(c: ConversationChange, typed: string): boolean {
  const raw = typed.trim();
  const q = raw.toLowerCase();
  const contact = c.contact;
  const texts = [c.title, c.last_message_preview, contact?.name ?? "", contact?.email ?? ""];
  if (texts.some((t) => t.toLowerCase().includes(q))) return true;
  const digits = /^[\d\s+().-]+$/.test(raw) ? raw.replace(/\D/g, "") : "";
  return digits.length >= 3 && !!contact?.phone?.includes(digits);
}

export function byActivity(a: Conversation, b: Conversation): number {
  if (a.last_activity_at !== b.last_activity_at) return a.last_activity_at < b.last_activity_at ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

/** A to Z by title as the server orders it: lower-cased, character by character, then by id. */
export function byTitle(a: Conversation, b: Conversation): number {
  const ta = a.title.toLowerCase();
  const tb = b.title.toLowerCase();
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Applies a conversation.updated event to a list. A conversation the list does not
 * have yet comes without its contact, so the caller reloads the list (reload true).
 * In a list filtered by a tag or label an event cannot say whether the conversation
 * carries it (a teammate may have just added or taken it off): a listed one stays
 * until the reload the caller is asked for says, and one not listed only comes in by
 * that reload.
 */
export function applyConversation(
  list: Conversation[],
  change: ConversationChange,
  f: ListFilter,
  me: string,
  own = false,
): { list: Conversation[]; reload: boolean } {
  const i = list.findIndex((c) => c.id === change.id);
  // A listed conversation the search found stays: the server may have found it by a
  // message the event does not carry.
  const fits = matches(change, i >= 0 ? { ...f, q: undefined } : f, me);
  if (i < 0) return { list, reload: fits };
  if (!fits) return { list: list.filter((c) => c.id !== change.id), reload: false };
  const merged = mergeConversation(list[i], change, own);
  const next = list.slice();
  next[i] = merged;
  next.sort(byActivity);
  // Handed to me, or marked unread for me: the event cannot say so (it carries the
  // team's flag), my own list can.
  return { list: next, reload: unsureOfTags(change, f) || (!own && change.assignee_id === me) };
}

/**
 * A conversation with a change applied. Unread is each member's own: an answer to the
 * reader's own request (own) says theirs, but an event carries the team's flag, so
 * the reader's stays — unless the customer wrote since, which makes it unread for
 * everyone.
 */
export function mergeConversation(prev: Conversation, change: ConversationChange, own = false): Conversation {
  const wrote = !!change.last_inbound_at && (!prev.last_inbound_at || change.last_inbound_at > prev.last_inbound_at);
  const unread = own ? change.unread : wrote ? true : prev.unread;
  return { ...prev, ...change, contact: change.contact ?? prev.contact, unread };
}

function byCreated(a: Message, b: Message): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Adds or replaces a message in a thread (oldest first). A change older than the one
 * shown is ignored: events may overtake each other, a message's status only moves on.
 */
export function upsertMessage(thread: Message[], m: Message): Message[] {
  const i = thread.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    if (thread[i].updated_at > m.updated_at) return thread;
    const next = thread.slice();
    next[i] = m;
    return next;
  }
  return [...thread, m].sort(byCreated);
}
