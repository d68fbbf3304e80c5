import { act } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RealtimeEvent } from "../api/realtime";
import { conversation } from "../test/fakes";
import { liveWorkspace, renderInWorkspace } from "../test/workspace";
import { autoCloseOf, capacityOf, countedTitle, newlyAssigned, slaOf, typedTime, useAssignmentNotices } from "./assignment";

/** A ticket's conversation.updated as the server sends it (without the contact and channel). */
function ticketEvent(assignee: string | null, p: { id?: string; title?: string; reassigned?: boolean; former?: string } = {}): RealtimeEvent {
  const { contact: _contact, channel: _channel, ...data } = conversation({
    id: p.id ?? "t1",
    kind: "ticket",
    state: assignee ? "active" : "queued",
    assignee_id: assignee,
    title: p.title ?? "Maya Patel",
    last_message_preview: "Where is my order?",
  });
  return {
    type: "conversation.updated",
    conversation_id: data.id,
    conversation_kind: "ticket",
    data,
    ...(p.reassigned ? { reassigned: true, former_assignee_id: p.former } : {}),
  };
}

describe("newlyAssigned", () => {
  it("is a ticket that comes to me from the queue or from someone else, once", () => {
    const known = new Map<string, string | null>();
    expect(newlyAssigned(ticketEvent(null), "u1", known)).toBe(false);
    expect(newlyAssigned(ticketEvent("u1"), "u1", known)).toBe(true);
    // Another change of a ticket already mine (a message, a tag): no news.
    expect(newlyAssigned(ticketEvent("u1"), "u1", known)).toBe(false);
    expect(newlyAssigned(ticketEvent("u2"), "u1", known)).toBe(false);
    expect(newlyAssigned(ticketEvent("u1"), "u1", known)).toBe(true);
  });

  it("takes the server's word that it was handed over, for a ticket this tab never heard of", () => {
    const known = new Map<string, string | null>();
    expect(newlyAssigned(ticketEvent("u1", { id: "t7" }), "u1", known)).toBe(false);
    expect(newlyAssigned(ticketEvent("u1", { id: "t8", reassigned: true }), "u1", known)).toBe(true);
    expect(newlyAssigned(ticketEvent("u1", { id: "t9", reassigned: true, former: "u2" }), "u1", known)).toBe(true);
    // Handed to someone else: not mine.
    expect(newlyAssigned(ticketEvent("u2", { id: "t10", reassigned: true }), "u1", known)).toBe(false);
  });

  it("leaves chats and other events alone", () => {
    const known = new Map<string, string | null>([["c1", null]]);
    const { contact: _c, channel: _ch, ...chat } = conversation({ id: "c1", kind: "chat", assignee_id: "u1" });
    expect(newlyAssigned({ type: "conversation.updated", conversation_id: "c1", conversation_kind: "chat", data: chat }, "u1", known)).toBe(false);
    expect(newlyAssigned({ type: "counts.changed", conversation_kind: "ticket", data: { kind: "ticket" } }, "u1", known)).toBe(false);
  });

  it("remembers only the latest tickets", () => {
    const known = new Map<string, string | null>();
    for (let i = 0; i < 600; i++) newlyAssigned(ticketEvent(null, { id: `t${i}` }), "u1", known);
    expect(known.size).toBe(500);
    expect(known.has("t0")).toBe(false);
    expect(known.has("t599")).toBe(true);
  });
});

describe("countedTitle and capacityOf", () => {
  it("counts before the title, and takes the count away", () => {
    expect(countedTitle("Switchboard", 2)).toBe("(2) Switchboard");
    expect(countedTitle("(2) Switchboard", 3)).toBe("(3) Switchboard");
    expect(countedTitle("(3) Switchboard", 0)).toBe("Switchboard");
  });

  it("takes a whole number from 0 and refuses the rest beside the field", () => {
    expect(capacityOf(" 5 ")).toBe(5);
    expect(capacityOf("0")).toBe(0);
    for (const bad of ["", "-1", "2.5", "abc", "1001"]) {
      expect(() => capacityOf(bad)).toThrow(expect.objectContaining({ status: 422, fields: { capacity: expect.stringContaining("whole number") } }));
    }
  });
});

describe("the auto-close rules' idle times", () => {
  it("show stored minutes in the largest unit they make whole, 0 as never", () => {
    expect(typedTime(0)).toEqual({ amount: "", unit: "none" });
    expect(typedTime(45)).toEqual({ amount: "45", unit: "minutes" });
    expect(typedTime(90)).toEqual({ amount: "90", unit: "minutes" });
    expect(typedTime(120)).toEqual({ amount: "2", unit: "hours" });
    expect(typedTime(36 * 60)).toEqual({ amount: "36", unit: "hours" });
    expect(typedTime(3 * 24 * 60)).toEqual({ amount: "3", unit: "days" });
    expect(typedTime(129600)).toEqual({ amount: "90", unit: "days" });
  });

  it("send what was typed in minutes, and refuse beside its field what is not a whole number up to 90 days", () => {
    expect(autoCloseOf({ amount: " 2 ", unit: "hours" }, { amount: "", unit: "none" })).toEqual({ resolve_after_minutes: 120, abandon_after_minutes: 0 });
    expect(autoCloseOf({ amount: "90", unit: "days" }, { amount: "30", unit: "minutes" })).toEqual({ resolve_after_minutes: 129600, abandon_after_minutes: 30 });
    // Never keeps no number: what was typed before it was chosen does not count.
    expect(autoCloseOf({ amount: "abc", unit: "none" }, { amount: "0", unit: "days" })).toEqual({ resolve_after_minutes: 0, abandon_after_minutes: 0 });
    for (const bad of ["", "-1", "1.5", "abc", "91"]) {
      expect(() => autoCloseOf({ amount: "1", unit: "hours" }, { amount: bad, unit: "days" })).toThrow(
        expect.objectContaining({ status: 422, fields: { abandon_after_minutes: "must be a whole number, at most 90 days" } }),
      );
    }
    expect(() => autoCloseOf({ amount: "2161", unit: "hours" }, { amount: "", unit: "minutes" })).toThrow(
      expect.objectContaining({ fields: { resolve_after_minutes: expect.any(String), abandon_after_minutes: expect.any(String) } }),
    );
  });
});

describe("the SLA targets as typed", () => {
  it("send each in minutes with business_hours, no target as 0, up to 30 days", () => {
    const none = { amount: "", unit: "none" } as const;
    expect(slaOf({ first: { amount: "30", unit: "minutes" }, next: { amount: " 4 ", unit: "hours" }, resolution: { amount: "30", unit: "days" } }, true)).toEqual({
      first_response_minutes: 30,
      next_response_minutes: 240,
      resolution_minutes: 43200,
      business_hours: true,
    });
    expect(slaOf({ first: none, next: none, resolution: none }, false)).toEqual({
      first_response_minutes: 0,
      next_response_minutes: 0,
      resolution_minutes: 0,
      business_hours: false,
    });
  });

  it("refuse beside its field a target that is not a whole number up to 30 days, where auto-close takes 90", () => {
    const hour = { amount: "1", unit: "hours" } as const;
    for (const bad of ["", "-1", "1.5", "abc", "31"]) {
      expect(() => slaOf({ first: hour, next: hour, resolution: { amount: bad, unit: "days" } }, false)).toThrow(
        expect.objectContaining({ status: 422, fields: { resolution_minutes: "must be a whole number, at most 30 days" } }),
      );
    }
    expect(() => slaOf({ first: { amount: "721", unit: "hours" }, next: { amount: "43201", unit: "minutes" }, resolution: hour }, false)).toThrow(
      expect.objectContaining({ fields: { first_response_minutes: expect.any(String), next_response_minutes: expect.any(String) } }),
    );
    expect(autoCloseOf({ amount: "31", unit: "days" }, { amount: "", unit: "none" })).toEqual({ resolve_after_minutes: 44640, abandon_after_minutes: 0 });
  });
});

/** A browser's Notification, as the test sets its permission. */
class FakeNotification {
  static permission: NotificationPermission = "default";
  static shown: FakeNotification[] = [];
  static requestPermission = vi.fn(async () => FakeNotification.permission);
  onclick: (() => void) | null = null;
  close = vi.fn();
  constructor(
    public title: string,
    public options?: NotificationOptions,
  ) {
    FakeNotification.shown.push(this);
  }
}

function Notices() {
  useAssignmentNotices();
  return null;
}

describe("useAssignmentNotices", () => {
  let visibility: DocumentVisibilityState = "visible";

  beforeEach(() => {
    FakeNotification.permission = "default";
    FakeNotification.shown = [];
    vi.stubGlobal("Notification", FakeNotification);
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => visibility });
    document.title = "Switchboard";
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    delete (document as { visibilityState?: unknown }).visibilityState;
    visibility = "visible";
  });

  const hide = () => {
    visibility = "hidden";
    vi.spyOn(document, "hasFocus").mockReturnValue(false);
  };
  const comeBack = () => {
    visibility = "visible";
    vi.spyOn(document, "hasFocus").mockReturnValue(true);
    act(() => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
  };

  it("counts tickets handed to me in the title while the tab is hidden, until it is visible again", () => {
    const { w, send } = liveWorkspace({ me: "u1" });
    renderInWorkspace(<Notices />, w);
    hide();
    send(ticketEvent(null, { id: "t1" }));
    send(ticketEvent(null, { id: "t2" }));
    send(ticketEvent("u1", { id: "t1" }));
    expect(document.title).toBe("(1) Switchboard");
    send(ticketEvent("u1", { id: "t2" }));
    // A ticket already mine changing again is not counted twice.
    send(ticketEvent("u1", { id: "t1" }));
    expect(document.title).toBe("(2) Switchboard");
    comeBack();
    expect(document.title).toBe("Switchboard");
  });

  it("says nothing of a ticket handed to me while I look at the page (one I accepted)", () => {
    const { w, send } = liveWorkspace({ me: "u1" });
    renderInWorkspace(<Notices />, w);
    FakeNotification.permission = "granted";
    vi.spyOn(document, "hasFocus").mockReturnValue(true);
    send(ticketEvent(null));
    send(ticketEvent("u1"));
    expect(document.title).toBe("Switchboard");
    expect(FakeNotification.shown).toEqual([]);
  });

  it("shows a desktop notification when the browser allows them, which opens the ticket", () => {
    const { w, send } = liveWorkspace({ me: "u1" });
    renderInWorkspace(<Notices />, w);
    FakeNotification.permission = "granted";
    hide();
    send(ticketEvent(null, { id: "t5" }));
    send(ticketEvent("u1", { id: "t5", title: "Tom Becker" }));
    expect(FakeNotification.shown.map((n) => [n.title, n.options?.body, n.options?.tag])).toEqual([
      ["New ticket assigned: Tom Becker", "Where is my order?", "ticket-t5"],
    ]);
    const focus = vi.spyOn(window, "focus").mockImplementation(() => undefined);
    act(() => FakeNotification.shown[0].onclick?.());
    expect(focus).toHaveBeenCalled();
    expect(window.location.pathname).toBe("/w/demo/inbox/t5");
    expect(FakeNotification.shown[0].close).toHaveBeenCalled();
    window.history.replaceState(null, "", "/");
  });

  it("shows none while the browser has not allowed them, or refused them", () => {
    const { w, send } = liveWorkspace({ me: "u1" });
    renderInWorkspace(<Notices />, w);
    hide();
    for (const permission of ["default", "denied"] as const) {
      FakeNotification.permission = permission;
      send(ticketEvent(null, { id: `t-${permission}` }));
      send(ticketEvent("u1", { id: `t-${permission}` }));
    }
    expect(FakeNotification.shown).toEqual([]);
    expect(document.title).toBe("(2) Switchboard");
    // Nothing asks the browser on its own.
    expect(FakeNotification.requestPermission).not.toHaveBeenCalled();
  });

  it("ignores a ticket handed to someone else, and puts the title back when it stops", () => {
    const { w, send } = liveWorkspace({ me: "u1" });
    const view = renderInWorkspace(<Notices />, w);
    FakeNotification.permission = "granted";
    hide();
    send(ticketEvent(null));
    send(ticketEvent("u2"));
    expect(FakeNotification.shown).toEqual([]);
    expect(document.title).toBe("Switchboard");
    send(ticketEvent("u1"));
    expect(document.title).toBe("(1) Switchboard");
    view.unmount();
    expect(document.title).toBe("Switchboard");
  });
});
