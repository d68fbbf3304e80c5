import { afterEach, describe, expect, it, vi } from "vitest";
import type { Conversation, ConversationChange } from "../api/types";
import { conversation, message } from "../test/fakes";
import { applyConversation, byTitle, mergeConversation, matches, upsertMessage, type ListFilter } from "./conversations";

describe("matches", () => {
  const me = "u1";
  it("follows the list's filters as the server applies them", () => {
    const c = conversation({ kind: "ticket", state: "queued", assignee_id: null, title: "Tom Becker", last_message_preview: "blue jacket" });
    expect(matches(c, { kind: "ticket" }, me)).toBe(true);
    expect(matches(c, { kind: "chat" }, me)).toBe(false);
    expect(matches(c, { kind: "ticket", state: "active" }, me)).toBe(false);
    expect(matches(c, { kind: "ticket", assignee: "unassigned" }, me)).toBe(true);
    expect(matches(c, { kind: "ticket", assignee: "me" }, me)).toBe(false);
    expect(matches({ ...c, assignee_id: me }, { kind: "ticket", assignee: "me" }, me)).toBe(true);
    expect(matches(c, { kind: "ticket", q: "JACKET" }, me)).toBe(true);
    expect(matches(c, { kind: "ticket", q: "parcel" }, me)).toBe(false);
    expect(matches({ ...c, archived: true }, { kind: "ticket" }, me)).toBe(false);
    expect(matches({ ...c, archived: true }, { kind: "ticket", archived: true }, me)).toBe(true);
  });

  it("searches the contact as the server does, when the event has it", () => {
    const c = conversation({ kind: "ticket", title: "Order 42", last_message_preview: "thanks" });
    const withContact = { ...c, contact: { ...c.contact, name: "Zoe Quinn", phone: "+15550002001", email: "zoe@example.test" } };
    expect(matches(withContact, { kind: "ticket", q: "quinn" }, me)).toBe(true);
    expect(matches(withContact, { kind: "ticket", q: "ZOE@example" }, me)).toBe(true);
    expect(matches(withContact, { kind: "ticket", q: "(555) 000-2001" }, me)).toBe(true);
    expect(matches(withContact, { kind: "ticket", q: "555 9999" }, me)).toBe(false);
    expect(matches({ ...withContact, contact: undefined }, { kind: "ticket", q: "quinn" }, me)).toBe(false);
  });
});

describe("matches a ticket's team and its last activity", () => {
  const me = "u1";
  it("keeps a team's tickets, or the general queue's (none)", () => {
    const billing = conversation({ kind: "ticket", team_id: "tm1" });
    const general = conversation({ kind: "ticket", team_id: null });
    expect(matches(billing, { kind: "ticket", team: "tm1" }, me)).toBe(true);
    expect(matches(billing, { kind: "ticket", team: "tm2" }, me)).toBe(false);
    expect(matches(billing, { kind: "ticket", team: "none" }, me)).toBe(false);
    expect(matches(general, { kind: "ticket", team: "none" }, me)).toBe(true);
    expect(matches(general, { kind: "ticket", team: "tm1" }, me)).toBe(false);
    // An event may leave out a team it has none of.
    expect(matches({ ...general, team_id: undefined }, { kind: "ticket", team: "none" }, me)).toBe(true);
  });

  it("reads the days in the workspace's time zone, the last one whole", () => {
    // 23:30 on the 1st in UTC is already the 2nd in Tokyo.
    const late = conversation({ kind: "ticket", last_activity_at: "2030-01-01T23:30:00Z" });
    expect(matches(late, { kind: "ticket", from: "2030-01-01", to: "2030-01-01", timeZone: "UTC" }, me)).toBe(true);
    expect(matches(late, { kind: "ticket", from: "2030-01-01", to: "2030-01-01", timeZone: "Asia/Tokyo" }, me)).toBe(false);
    expect(matches(late, { kind: "ticket", from: "2030-01-02", timeZone: "Asia/Tokyo" }, me)).toBe(true);
    expect(matches(late, { kind: "ticket", to: "2029-12-31", timeZone: "UTC" }, me)).toBe(false);
  });
});

describe("byTitle", () => {
  it("orders as the server does: lower-cased, character by character, then by id", () => {
    const list = ["bravo", "Alpha", "alpha", "Charlie", "_x"].map((title, i) => conversation({ id: `c${i}`, title }));
    expect([...list].sort(byTitle).map((c) => `${c.title}/${c.id}`)).toEqual(["_x/c4", "Alpha/c1", "alpha/c2", "bravo/c0", "Charlie/c3"]);
  });
});

describe("applyConversation", () => {
  const a = conversation({ id: "a", last_activity_at: "2030-01-02T10:00:00Z" });
  const b = conversation({ id: "b", last_activity_at: "2030-01-02T09:00:00Z", title: "Tom" });

  it("moves a conversation with new activity to the top and keeps its contact", () => {
    // Realtime sends the conversation without its contact.
    const change = { ...b, last_activity_at: "2030-01-02T11:00:00Z", last_message_preview: "new", pill: "failed" as const, contact: undefined };
    const r = applyConversation([a, b], change, { kind: "chat" }, "u1");
    expect(r.reload).toBe(false);
    expect(r.list.map((c) => c.id)).toEqual(["b", "a"]);
    expect(r.list[0].contact.name).toBe("Maya Patel");
    expect(r.list[0].last_message_preview).toBe("new");
  });

  it("drops one that no longer fits the filter", () => {
    const r = applyConversation([a, b], { ...a, pill: "failed" }, { kind: "chat", pill: "sent" }, "u1");
    expect(r.list.map((c) => c.id)).toEqual(["b"]);
  });

  it("keeps a listed conversation a search found, though the event does not say why", () => {
    const r = applyConversation([a, b], { ...b, last_message_preview: "nothing searched for" }, { kind: "chat", q: "bicycle" }, "u1");
    expect(r.list.map((c) => c.id)).toEqual(["a", "b"]);
    expect(applyConversation([a], { ...b, id: "new", last_message_preview: "nothing" }, { kind: "chat", q: "bicycle" }, "u1").reload).toBe(false);
  });

  it("asks for a reload for a new one that fits, whose contact the event lacks", () => {
    const r = applyConversation([a], { ...b, id: "new" }, { kind: "chat" }, "u1");
    expect(r).toEqual({ list: [a], reload: true });
    expect(applyConversation([a], { ...b, id: "new", kind: "ticket" }, { kind: "chat" }, "u1").reload).toBe(false);
  });
});

describe("a ticket the auto-close rules close", () => {
  const queued = conversation({ id: "t1", kind: "ticket", state: "queued", assignee_id: null });
  const { contact: _contact, channel: _channel, ...rest } = queued;
  const gone: ConversationChange = { ...rest, state: "abandoned", state_changed_at: "2030-01-02T12:00:00Z" };

  it("leaves the queue's list, stays in one of every state, and comes into the abandoned list by a reload", () => {
    expect(applyConversation([queued], gone, { kind: "ticket", state: "queued" }, "u1")).toEqual({ list: [], reload: false });
    expect(applyConversation([], gone, { kind: "ticket", state: "abandoned" }, "u1")).toEqual({ list: [], reload: true });
    // In a list of every state (here the unassigned tickets) it stays, in its new state.
    const all = applyConversation([queued], gone, { kind: "ticket", assignee: "unassigned" }, "u1");
    expect(all.list.map((c) => [c.id, c.state, c.state_changed_at])).toEqual([["t1", "abandoned", "2030-01-02T12:00:00Z"]]);
  });

  it("goes back to the queue's list when the customer writes again", () => {
    const abandoned = conversation({ ...queued, state: "abandoned" });
    const back: ConversationChange = { ...rest, state: "queued", unread: true, last_inbound_at: "2030-01-03T09:00:00Z" };
    expect(applyConversation([abandoned], back, { kind: "ticket", state: "abandoned" }, "u1")).toEqual({ list: [], reload: false });
    expect(applyConversation([], back, { kind: "ticket", state: "queued" }, "u1").reload).toBe(true);
  });
});

describe("upsertMessage", () => {
  it("appends new messages in time order and replaces known ones", () => {
    const m1 = message({ id: "1", created_at: "2030-01-02T10:00:00Z" });
    const m2 = message({ id: "2", created_at: "2030-01-02T10:01:00Z" });
    let t = upsertMessage([], m2);
    t = upsertMessage(t, m1);
    expect(t.map((m) => m.id)).toEqual(["1", "2"]);
    t = upsertMessage(t, { ...m1, status: "read", updated_at: "2030-01-02T10:05:00Z" });
    expect(t[0].status).toBe("read");
  });

  it("ignores an update older than the one shown (read never goes back to delivered)", () => {
    const read = message({ id: "1", status: "read", updated_at: "2030-01-02T10:05:00Z" });
    const delivered = { ...read, status: "delivered", updated_at: "2030-01-02T10:03:00Z" };
    expect(upsertMessage([read], delivered)[0].status).toBe("read");
  });
});

describe("mergeConversation", () => {
  it("keeps the reader's own unread through an event, unless the customer wrote since", () => {
    const read = conversation({ id: "c1", unread: false, last_inbound_at: "2030-01-02T10:00:00Z" });
    // An assignment or a pill change carries the team's flag: the reader's stays.
    expect(mergeConversation(read, { ...read, unread: true, pill: "sent" }).unread).toBe(false);
    expect(mergeConversation(read, { ...read, unread: true, pill: "sent" }).pill).toBe("sent");
    // A customer message after: unread for everyone.
    expect(mergeConversation(read, { ...read, unread: true, last_inbound_at: "2030-01-02T11:00:00Z" }).unread).toBe(true);
    const unread = conversation({ id: "c1", unread: true, last_inbound_at: "2030-01-02T10:00:00Z" });
    expect(mergeConversation(unread, { ...unread, unread: false }).unread).toBe(true);
  });
});

describe("a list under the caller's access rule", () => {
  const mine = conversation({ id: "c1", kind: "ticket", assignee_id: "me1", connection_id: "conn1" });
  const theirs = conversation({ id: "c2", kind: "ticket", assignee_id: "u2", connection_id: "conn1" });
  const queued = conversation({ id: "c3", kind: "ticket", assignee_id: null, connection_id: "conn1" });
  const elsewhere = conversation({ id: "c4", kind: "ticket", assignee_id: "me1", connection_id: "conn2" });
  const ids = (f: ListFilter) => [mine, theirs, queued, elsewhere].filter((c) => matches(c, f, "me1")).map((c) => c.id);

  it("keeps only what the server would list: Match assignee, the queue when allowed, the inboxes", () => {
    expect(ids({ kind: "ticket" })).toEqual(["c1", "c2", "c3", "c4"]);
    expect(ids({ kind: "ticket", access: { mode: "assignee", unassigned: false, connection_ids: [] } })).toEqual(["c1", "c4"]);
    expect(ids({ kind: "ticket", access: { mode: "assignee", unassigned: true, connection_ids: ["conn1"] } })).toEqual(["c1", "c3"]);
    expect(ids({ kind: "ticket", access: { mode: "all", unassigned: false, connection_ids: ["conn2"] } })).toEqual(["c4"]);
  });

  it("drops a ticket handed from the caller to a colleague", () => {
    const f: ListFilter = { kind: "ticket", access: { mode: "assignee", unassigned: false, connection_ids: [] } };
    const r = applyConversation([mine], { ...mine, assignee_id: "u2" }, f, "me1");
    expect(r.list).toEqual([]);
    expect(r.reload).toBe(false);
  });
});

describe("a list filtered by a tag or label", () => {
  const bug = conversation({ id: "a", kind: "ticket", labels: ["Bug"], tags: ["VIP"], last_activity_at: "2030-01-02T10:00:00Z" });
  const f: ListFilter = { kind: "ticket", label: "bug", tag: "vip" };
  // What realtime sends: no contact, no tags, no labels.
  const event = (c: Conversation): ConversationChange => {
    const { contact: _contact, tags: _tags, labels: _labels, ...rest } = c;
    return rest;
  };

  it("judges a conversation that says its names, whatever their case", () => {
    expect(matches(bug, f, "u1")).toBe(true);
    expect(matches({ ...bug, labels: ["Escalated"] }, f, "u1")).toBe(false);
    expect(matches({ ...bug, tags: [] }, f, "u1")).toBe(false);
  });

  it("never takes in one an event names, and asks the server instead", () => {
    const other = conversation({ id: "new", kind: "ticket", last_activity_at: "2030-01-02T11:00:00Z" });
    const r = applyConversation([bug], event(other), f, "u1");
    expect(r).toEqual({ list: [bug], reload: true });
    // Not a ticket at all: nothing to ask.
    expect(applyConversation([bug], { ...event(other), kind: "chat" }, f, "u1").reload).toBe(false);
  });

  it("keeps a listed one through an event, with its names, until the reload says", () => {
    const r = applyConversation([bug], { ...event(bug), last_message_preview: "any news?" }, f, "u1");
    expect(r.reload).toBe(true);
    expect(r.list.map((c) => [c.id, c.last_message_preview, c.labels])).toEqual([["a", "any news?", ["Bug"]]]);
  });

  it("drops one the member took the label off, from the answer to their change", () => {
    const r = applyConversation([bug], { ...bug, labels: [] }, f, "u1", true);
    expect(r).toEqual({ list: [], reload: false });
  });
});

describe("a ticket's SLA clocks in a live list", () => {
  const at = (hhmm: string) => `2030-01-02T${hhmm}:00Z`;
  const now = Date.parse(at("11:00"));
  const ticket = conversation({ id: "t1", kind: "ticket", state: "active", first_response_due_at: at("10:30"), first_response_at: at("10:10") });
  const { contact: _contact, channel: _channel, tags: _tags, labels: _labels, sla_breaches: _breaches, ...rest } = ticket;
  afterEach(() => vi.useRealTimers());

  it("takes the due times a change carries, and keeps the contact", () => {
    const waiting: ConversationChange = { ...rest, next_response_due_at: at("11:30"), resolution_due_at: at("18:00"), last_activity_at: at("11:00") };
    const r = applyConversation([ticket], waiting, { kind: "ticket" }, "u1");
    expect(r.list[0]).toMatchObject({ next_response_due_at: at("11:30"), resolution_due_at: at("18:00"), first_response_at: at("10:10"), contact: ticket.contact });
    // Answered: the clock clears, and a late answer is kept as missed.
    const late = mergeConversation(r.list[0], { ...waiting, next_response_due_at: null, next_response_missed: true });
    expect([late.next_response_due_at, late.next_response_missed]).toEqual([null, true]);
  });

  it("judges the SLA missed list by the clocks, as the server does now", () => {
    const missed: ConversationChange = { ...rest, next_response_due_at: at("10:45") };
    expect(matches(missed, { kind: "ticket", sla: "breached" }, "u1", now)).toBe(true);
    expect(matches(rest, { kind: "ticket", sla: "breached" }, "u1", now)).toBe(false);
    expect(matches({ ...rest, next_response_missed: true }, { kind: "ticket", sla: "breached" }, "u1", now)).toBe(true);
    // A breached ticket new to the list comes in by a reload; one no longer breached (reopened: a new resolution clock) leaves.
    vi.useFakeTimers({ now, toFake: ["Date"] });
    expect(applyConversation([], missed, { kind: "ticket", sla: "breached" }, "u1", false).reload).toBe(true);
    const listed = conversation({ ...ticket, resolution_due_at: at("09:00") });
    expect(applyConversation([listed], { ...rest, resolution_due_at: "2030-01-03T09:00:00Z" }, { kind: "ticket", sla: "breached" }, "u1").list).toEqual([]);
  });
});
