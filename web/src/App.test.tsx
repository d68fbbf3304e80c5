import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { conversation, FakeSocket, installFakeSocket, message, mockApi } from "./test/fakes";
import { ADMIN, AGENT, VIEWER } from "./test/workspace";

function signedInAs(role: string, permissions: string[], extra: Record<string, unknown> = {}) {
  const user = { id: `u-${role}`, email: `${role}@demo.local`, name: `${role} user`, is_operator: false, created_at: "2030-01-01T00:00:00Z" };
  return mockApi({
    "GET /api/v1/me": { body: { user, memberships: [{ workspace_id: "w1", slug: "demo", name: "Demo Company", role }], csrf_token: "t" } },
    "GET /api/v1/workspaces/demo": {
      body: {
        id: "w1", slug: "demo", name: "Demo Company", time_zone: "UTC", plan_id: "p", created_at: "", updated_at: "",
        plan: { code: "business", name: "Business", features: {} }, role, permissions,
      },
    },
    "GET /api/v1/workspaces/demo/members": {
      body: { items: [{ id: "m1", user_id: user.id, email: user.email, name: user.name, role, created_at: "", availability: "online", capacity: null }], next_cursor: "" },
    },
    "GET /api/v1/workspaces/demo/availability": { body: { availability: "online", online: false } },
    "GET /api/v1/workspaces/demo/connections": { body: { items: [], next_cursor: "" } },
    "GET /api/v1/workspaces/demo/conversations": { body: { items: [], next_cursor: "" } },
    "GET /api/v1/workspaces/demo/conversations/counts": { body: { kind: "ticket", counts: { queued: 0, active: 0, pending: 0, resolved: 0 } } },
    ...(extra as Record<string, never>),
  });
}

function at(path: string) {
  window.history.replaceState(null, "", path);
}

beforeEach(() => installFakeSocket());
afterEach(() => {
  vi.unstubAllGlobals();
  at("/");
});

describe("navigation by role", () => {
  it("sends an agent who opens a Chat link to the Team Inbox, with no Chat in the menu (Contacts and Settings, yes)", async () => {
    signedInAs("agent", AGENT);
    at("/w/demo/chat/some-conversation");
    render(<App />);
    await screen.findByRole("heading", { name: "Team Inbox" });
    expect(window.location.pathname).toBe("/w/demo/inbox");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Team Inbox", "Contacts", "Settings"]);
  });

  it("opens only the canned responses of Settings to an agent, read-only", async () => {
    signedInAs("agent", AGENT, {
      "GET /api/v1/workspaces/demo/canned-responses": {
        body: { items: [{ id: "cr1", shortcut: "thanks", title: "Thank you", category: "", body: "Thanks {{first_name}}!", created_at: "", updated_at: "" }], next_cursor: "" },
      },
    });
    at("/w/demo/settings/members");
    render(<App />);
    await screen.findByRole("heading", { name: "Canned responses" });
    const rail = screen.getByRole("navigation", { name: "Settings" });
    expect(within(rail).getAllByRole("link").map((a) => a.textContent)).toEqual(["Canned responses"]);
    expect(await screen.findByText("/thanks")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Add canned response" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Edit /thanks" })).toBeNull();
  });

  it("keeps a viewer out of Settings too", async () => {
    signedInAs("viewer", VIEWER);
    at("/w/demo/settings/wallet");
    render(<App />);
    await screen.findByRole("heading", { name: "Team Inbox" });
    expect(window.location.pathname).toBe("/w/demo/inbox");
  });

  it("lands an admin on Chat, with Chat, Team Inbox, Contacts and Settings", async () => {
    signedInAs("admin", ADMIN, {
      "GET /api/v1/workspaces/demo/conversations/counts": { body: { kind: "chat", counts: { all: 4, failed: 1 } } },
    });
    at("/w/demo");
    render(<App />);
    await screen.findByRole("heading", { name: "Chat" });
    expect(window.location.pathname).toBe("/w/demo/chat");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Chat", "Team Inbox", "Contacts", "Settings"]);
  });

  it("counts the approved templates by category in Chat's rail", async () => {
    signedInAs("admin", ADMIN, {
      "GET /api/v1/workspaces/demo/conversations/counts": { body: { kind: "chat", counts: { all: 0 } } },
      "GET /api/v1/workspaces/demo/template-counts": { body: { marketing: 3, utility: 1, authentication: 0, unavailable: ["Line 3"] } },
    });
    at("/w/demo/chat");
    render(<App />);
    const rail = await screen.findByRole("region", { name: "Approved templates" });
    expect(within(rail).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Marketing3", "Utility1", "Authentication0"]);
    expect(rail.textContent).toContain("Not counted: Line 3 did not answer just now.");
  });

  it("sends a signed-out visitor to sign in, and back after", async () => {
    let signedIn = false;
    mockApi({
      "GET /api/v1/me": () => (signedIn ? { body: { user: { id: "u" }, memberships: [] } } : { status: 401, body: { error: { code: "unauthenticated", message: "sign in first" } } }),
      "POST /api/v1/auth/login": (c) => {
        if ((c.body as { password: string }).password !== "right") {
          return { status: 401, body: { error: { code: "invalid_credentials", message: "Wrong email or password." } } };
        }
        signedIn = true;
        return {
          body: {
            user: { id: "u", email: "a@b.c", name: "A", is_operator: false, created_at: "" },
            memberships: [{ workspace_id: "w1", slug: "demo", name: "Demo", role: "viewer" }],
            csrf_token: "t",
          },
        };
      },
    });
    at("/w/demo/inbox");
    render(<App />);
    await screen.findByRole("heading", { name: "Sign in" });
    expect(window.location.pathname + window.location.search).toBe("/signin?next=%2Fw%2Fdemo%2Finbox");
    await userEvent.type(screen.getByLabelText("Email"), "a@b.c");
    await userEvent.type(screen.getByLabelText("Password"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Wrong email or password.");
    await userEvent.clear(screen.getByLabelText("Password"));
    await userEvent.type(screen.getByLabelText("Password"), "right");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(window.location.pathname).toBe("/w/demo/inbox"));
  });
});

describe("live updates", () => {
  it("updates Chat's rail counts when the server says they changed", async () => {
    let failed = 0;
    signedInAs("admin", ADMIN, {
      "GET /api/v1/workspaces/demo/conversations/counts": () => ({ body: { kind: "chat", counts: { all: 3, failed } } }),
    });
    at("/w/demo/chat");
    render(<App />);
    const count = () => screen.getByRole("link", { name: /Failed/ }).querySelector(".count")!.textContent;
    await waitFor(() => expect(count()).toBe("0"));
    failed = 1;
    act(() => {
      FakeSocket.last().emit({ type: "ready" });
      FakeSocket.last().emit({ type: "counts.changed", conversation_kind: "chat", data: { kind: "chat" } });
    });
    await waitFor(() => expect(count()).toBe("1"));
  });

  it("tells an admin, not an agent, that message credits ran low or auto-recharge paused, with a way to top up", async () => {
    signedInAs("admin", ADMIN);
    at("/w/demo/inbox");
    const { unmount } = render(<App />);
    await screen.findByRole("heading", { name: "Team Inbox" });
    act(() => FakeSocket.last().emit({ type: "wallet.low", data: { balance: 9 } }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Message credits are low: 9 credits left.");
    expect(within(alert).getByRole("link", { name: "Top up" }).getAttribute("href")).toBe("/w/demo/settings/wallet");
    await userEvent.click(within(alert).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByRole("alert")).toBeNull();
    act(() => FakeSocket.last().emit({ type: "wallet.auto_recharge_paused", data: { reason: "the card was not charged: Your card was declined" } }));
    expect((await screen.findByRole("alert")).textContent).toContain("Auto-recharge is paused: the card was not charged: Your card was declined.");
    unmount();

    signedInAs("agent", AGENT);
    render(<App />);
    await screen.findByRole("heading", { name: "Team Inbox" });
    act(() => FakeSocket.last().emit({ type: "wallet.low", data: { balance: 9 } }));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows a new ticket, and new messages and ticks in the open thread, without a reload", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", state: "queued", title: "+15550177001", contact: { id: "x", name: "", phone: "+15550177001" } });
    let tickets = [ticket];
    const thread = [message({ id: "in1", conversation_id: "t1", direction: "in", body: "Hello?", status: "received" })];
    signedInAs("agent", AGENT, {
      "GET /api/v1/workspaces/demo/conversations": () => ({ body: { items: tickets, next_cursor: "" } }),
      "GET /api/v1/workspaces/demo/conversations/t1": { body: ticket },
      "GET /api/v1/workspaces/demo/conversations/t1/messages": { body: { items: thread, next_cursor: "" } },
      "PATCH /api/v1/workspaces/demo/conversations/t1": { body: { ...ticket, unread: false } },
    });
    at("/w/demo/inbox/t1");
    render(<App />);
    await screen.findByText("Hello?");
    const ws = FakeSocket.last();
    act(() => ws.emit({ type: "ready" }));

    const fresh = conversation({ id: "t2", kind: "ticket", state: "queued", title: "Tom Becker", last_activity_at: "2030-01-02T11:00:00Z" });
    tickets = [fresh, ticket];
    const { contact: _c, ...withoutContact } = fresh;
    void _c;
    act(() => ws.emit({ type: "conversation.updated", conversation_id: "t2", conversation_kind: "ticket", data: withoutContact }));
    const list = screen.getByRole("list", { name: "Tickets" });
    await within(list).findByText("Tom Becker");

    const reply = message({ id: "out1", conversation_id: "t1", body: "On it", status: "pending", created_at: "2030-01-02T10:01:00Z", updated_at: "2030-01-02T10:01:00Z" });
    act(() => ws.emit({ type: "message.created", conversation_id: "t1", conversation_kind: "ticket", data: reply }));
    await screen.findByText("On it");
    act(() => ws.emit({ type: "message.updated", conversation_id: "t1", conversation_kind: "ticket", data: { ...reply, status: "read", updated_at: "2030-01-02T10:02:00Z" } }));
    await waitFor(() => expect(screen.getByRole("img", { name: "Read" })).toBeTruthy());
  });
});

describe("availability for the queue", () => {
  it("lets a member who holds tickets set theirs at the top of the page; a viewer has none", async () => {
    const { calls } = signedInAs("agent", AGENT, {
      "PUT /api/v1/workspaces/demo/availability": (c: { body: unknown }) => ({ body: { ...(c.body as object), online: true } }),
    });
    at("/w/demo/inbox");
    const { unmount } = render(<App />);
    const mine = (await screen.findByRole("combobox", { name: "Your availability" })) as HTMLSelectElement;
    expect(mine.value).toBe("online");
    await userEvent.selectOptions(mine, "busy");
    await waitFor(() => expect(calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ availability: "busy" }]));
    unmount();

    const viewer = signedInAs("viewer", VIEWER);
    render(<App />);
    await screen.findByRole("heading", { name: "Team Inbox" });
    expect(screen.queryByRole("combobox", { name: "Your availability" })).toBeNull();
    expect(viewer.calls.some((c) => c.url.endsWith("/availability"))).toBe(false);
  });
});

describe("a viewer", () => {
  it("reads a ticket but gets no composer and no actions", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", state: "active", assignee_id: "someone" });
    signedInAs("viewer", VIEWER, {
      "GET /api/v1/workspaces/demo/conversations": { body: { items: [ticket], next_cursor: "" } },
      "GET /api/v1/workspaces/demo/conversations/t1": { body: ticket },
      "GET /api/v1/workspaces/demo/conversations/t1/messages": { body: { items: [message({ conversation_id: "t1", body: "Our reply" })], next_cursor: "" } },
    });
    at("/w/demo/inbox/t1");
    render(<App />);
    await screen.findByText("Our reply");
    expect(screen.getByRole("note").textContent).toBe("You can read this conversation; your role (viewer) cannot reply.");
    expect(screen.queryByLabelText("Message")).toBeNull();
    expect(screen.queryByRole("button", { name: /^(Accept|Resolve|Assign to me|Mark unread)$/ })).toBeNull();
  });
});
