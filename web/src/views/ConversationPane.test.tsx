import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Member, Message } from "../api/types";
import { Realtime } from "../api/realtime";
import { conversation, FakeSocket, installFakeSocket, message, mockApi } from "../test/fakes";
import { dateTime } from "../lib/format";
import { AGENT, fakeWorkspace, liveWorkspace, MANAGER, renderInWorkspace, VIEWER } from "../test/workspace";
import { ConversationPane, templatesOnly, windowFrom } from "./ConversationPane";

afterEach(() => vi.unstubAllGlobals());

const base = "/api/v1/workspaces/demo/conversations";

function thread(items: Message[]) {
  return { body: { items, next_cursor: "" } };
}

describe("a message's actions", () => {
  it("pins, stars and reacts through the message menu, and shows what it did", async () => {
    const m = message({ id: "m1", direction: "in", body: "Where is my order?", status: "received" });
    const { calls } = mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1" }) },
      [`GET ${base}/c1/messages`]: thread([m]),
      [`PATCH ${base}/c1/messages/m1`]: (c) => {
        const b = c.body as { pinned?: boolean; starred?: boolean; reaction?: string };
        return {
          body: {
            ...m,
            pinned_at: b.pinned ? "2030-01-03T10:00:00Z" : null,
            starred: !!b.starred,
            reaction: b.reaction ?? "",
            updated_at: "2030-01-03T10:00:00Z",
          },
        };
      },
    });
    renderInWorkspace(<ConversationPane id="c1" />, fakeWorkspace());
    const bubble = (await screen.findByText("Where is my order?")).closest(".msg") as HTMLElement;

    await userEvent.click(within(bubble).getByRole("button", { name: "Message actions" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Pin" }));
    await waitFor(() => expect(within(bubble).getByRole("img", { name: "Pinned" })).toBeTruthy());
    expect(within(screen.getByRole("region", { name: "Pinned messages" })).getByText("Where is my order?")).toBeTruthy();

    await userEvent.click(within(bubble).getByRole("button", { name: "Message actions" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Star" }));
    await waitFor(() => expect(within(bubble).getByRole("img", { name: "Starred" })).toBeTruthy());

    await userEvent.click(within(bubble).getByRole("button", { name: "Message actions" }));
    await userEvent.click(screen.getByRole("menuitemradio", { name: "React 🙏" }));
    await waitFor(() => expect(within(bubble).getByRole("img", { name: "Reaction 🙏" })).toBeTruthy());

    const patches = calls.filter((c) => c.method === "PATCH").map((c) => c.body);
    expect(patches).toEqual([{ pinned: true }, { starred: true }, { reaction: "🙏" }]);
  });

  it("forwards a message to the conversation picked, and deletes one after asking", async () => {
    const m = message({ id: "m1", body: "Opening hours: 9-5", status: "sent" });
    const other = conversation({ id: "c2", title: "Noah Kim" });
    const { calls } = mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1" }) },
      [`GET ${base}/c1/messages`]: thread([m]),
      [`GET ${base}`]: { body: { items: [conversation({ id: "c1" }), other], next_cursor: "" } },
      [`POST ${base}/c1/messages/m1/forward`]: { status: 201, body: message({ id: "m9", conversation_id: "c2", forwarded_from: "m1", status: "pending" }) },
      [`DELETE ${base}/c1/messages/m1`]: { body: { ...m, body: "", deleted_at: "2030-01-03T10:00:00Z", updated_at: "2030-01-03T10:00:00Z" } },
    });
    renderInWorkspace(<ConversationPane id="c1" />, fakeWorkspace());
    const bubble = (await screen.findByText("Opening hours: 9-5")).closest(".msg") as HTMLElement;

    await userEvent.click(within(bubble).getByRole("button", { name: "Message actions" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Forward…" }));
    const dialog = await screen.findByRole("dialog", { name: "Forward message" });
    const target = await within(dialog).findByRole("button", { name: "Noah Kim" });
    // The conversation the message is in is not offered.
    expect(within(dialog).getAllByRole("button", { name: /Maya|Noah/ })).toHaveLength(1);
    await userEvent.click(target);
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Forward message" })).toBeNull());
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ conversation_id: "c2" });

    await userEvent.click(within(bubble).getByRole("button", { name: "Message actions" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Delete…" }));
    const confirm = await screen.findByRole("dialog", { name: "Delete message?" });
    expect(confirm.textContent).toContain("The customer keeps the copy they received.");
    await userEvent.click(within(confirm).getByRole("button", { name: "Delete" }));
    await screen.findByText("This message was deleted");
    expect(screen.queryByText("Opening hours: 9-5")).toBeNull();
    expect(calls.filter((c) => c.method === "DELETE")).toHaveLength(1);
  });

  it("offers no delete for a message still on its way, and no reaction on a note", async () => {
    mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1", kind: "ticket" }) },
      [`GET ${base}/c1/messages`]: thread([
        message({ id: "p", body: "going out", status: "pending" }),
        message({ id: "n", direction: "note", type: "note", body: "call later", status: "received" }),
      ]),
    });
    renderInWorkspace(<ConversationPane id="c1" />, fakeWorkspace());
    const pending = (await screen.findByText("going out")).closest(".msg") as HTMLElement;
    await userEvent.click(within(pending).getByRole("button", { name: "Message actions" }));
    expect(screen.queryByRole("menuitem", { name: "Delete…" })).toBeNull();
    expect(screen.getByRole("menuitem", { name: "Pin" })).toBeTruthy();
    await userEvent.keyboard("{Escape}");
    const note = screen.getByText("call later").closest(".msg") as HTMLElement;
    await userEvent.click(within(note).getByRole("button", { name: "Message actions" }));
    expect(screen.queryByRole("group", { name: "React" })).toBeNull();
    expect(screen.queryByRole("menuitem", { name: "Forward…" })).toBeNull();
  });
});

describe("a ticket's states", () => {
  it("is marked pending, and resolved with a note for the team", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", state: "active", assignee_id: "u1", title: "Ben" });
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([message({ id: "m1", direction: "in", body: "thanks!", status: "received" })]),
      [`PATCH ${base}/t1`]: (c) => ({ body: { ...ticket, ...(c.body as object) } }),
      [`POST ${base}/t1/messages`]: { status: 201, body: message({ id: "n1", direction: "note", type: "note", body: "Refund sent", status: "received" }) },
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await userEvent.click(await screen.findByRole("button", { name: "Pending" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ state: "pending" }]));

    await userEvent.click(screen.getByRole("button", { name: "Resolve" }));
    const dialog = await screen.findByRole("dialog", { name: "Resolve ticket" });
    await userEvent.type(within(dialog).getByLabelText(/Note for the team/), "Refund sent");
    await userEvent.click(within(dialog).getByRole("button", { name: "Resolve" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Resolve ticket" })).toBeNull());
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ type: "note", text: "Refund sent" });
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ state: "pending" }, { state: "resolved" }]);
    await screen.findByText("Refund sent");
  });
});

describe("an abandoned ticket", () => {
  // Closed by the auto-close rules after waiting in the queue: nobody's, with their note.
  const abandoned = conversation({ id: "t1", kind: "ticket", state: "abandoned", assignee_id: null, title: "Ben" });
  const routes = () => ({
    [`GET ${base}/t1`]: { body: abandoned },
    [`GET ${base}/t1/messages`]: thread([
      message({ id: "m1", direction: "in", body: "anyone there?", status: "received" }),
      message({ id: "n1", direction: "note", type: "note", body: "Abandoned automatically: waited 2 hours in the queue with no message and no one taking it.", status: "received" }),
    ]),
    [`PATCH ${base}/t1`]: (c: { body: unknown }) => ({ body: { ...abandoned, ...(c.body as object) } }),
    [`POST ${base}/t1/accept`]: { body: { ...abandoned, state: "active", assignee_id: "u1" } },
  });

  it("is closed like a resolved one: reopened to the queue, never resolved nor transferred, the rules' note signed Switchboard", async () => {
    const { calls } = mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: MANAGER, role: "manager" }));
    const note = (await screen.findByText(/Abandoned automatically/)).closest(".msg") as HTMLElement;
    expect(note.querySelector(".msg-author")?.textContent).toBe("Internal note · Switchboard");
    expect(screen.getByRole("region", { name: "Conversation with Ben" }).querySelector(".thread-title .hint")?.textContent).toContain("· abandoned · unassigned");
    expect(screen.queryByRole("button", { name: "Resolve" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Transfer" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Pending" })).toBeNull();
    // Neither is there by its shortcut.
    fireEvent.keyDown(screen.getByText("anyone there?"), { key: "r", code: "KeyR", ctrlKey: true });
    fireEvent.keyDown(screen.getByText("anyone there?"), { key: "t", code: "KeyT", altKey: true });
    expect(screen.queryByRole("dialog")).toBeNull();

    await userEvent.click(screen.getByRole("button", { name: "Reopen" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ state: "queued" }]));
    // Back in the queue: open again, so it may be resolved or transferred.
    await screen.findByRole("button", { name: "Resolve" });
    expect(screen.getByRole("button", { name: "Transfer" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Reopen" })).toBeNull();
  });

  it("is accepted as it is, taken by the member who accepts it", async () => {
    const { calls } = mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await userEvent.click(await screen.findByRole("button", { name: "Accept" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "POST").map((c) => c.url)).toEqual([`${base}/t1/accept`]));
    await screen.findByRole("button", { name: "Resolve" });
    expect(screen.queryByRole("button", { name: "Accept" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Reopen" })).toBeNull();
  });
});

describe("transferring a ticket", () => {
  const members: Member[] = [
    { id: "m1", user_id: "u1", name: "Mo Manager", email: "mo@x", role: "manager", created_at: "", availability: "online", capacity: null },
    { id: "m2", user_id: "u2", name: "Ana Agent", email: "ana@x", role: "agent", created_at: "", availability: "online", capacity: null },
    { id: "m3", user_id: "u3", name: "Ben Agent", email: "ben@x", role: "agent", created_at: "", availability: "online", capacity: null },
    { id: "m4", user_id: "u4", name: "Val Viewer", email: "val@x", role: "viewer", created_at: "", availability: "online", capacity: null },
  ];
  const manager = (p: Parameters<typeof fakeWorkspace>[0] = {}) => fakeWorkspace({ permissions: MANAGER, role: "manager", members, ...p });
  const ticket = conversation({ id: "t1", kind: "ticket", state: "active", assignee_id: "u2", title: "Ben" });
  const workloads = {
    body: {
      items: [
        { user_id: "u2", active: 3, pending: 1, capacity: 0, availability: "online", online: true },
        { user_id: "u1", active: 1, pending: 0, capacity: 0, availability: "online", online: true },
      ],
      next_cursor: "",
    },
  };

  it("lists the members who may reply with their open tickets and availability, the one who has it marked", async () => {
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([message({ id: "m1", direction: "in", body: "any news?", status: "received" })]),
      "GET /api/v1/workspaces/demo/workloads": {
        body: {
          items: [
            { user_id: "u2", active: 3, pending: 1, capacity: 5, availability: "busy", online: true },
            { user_id: "u1", active: 1, pending: 0, capacity: 0, availability: "online", online: true },
            { user_id: "u3", active: 0, pending: 0, capacity: 5, availability: "online", online: false },
          ],
          next_cursor: "",
        },
      },
    });
    renderInWorkspace(<ConversationPane id="t1" />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Transfer" }));
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    await within(dialog).findByText(/3\/5 active · 1 pending/);
    expect(within(dialog).getAllByRole("radio").map((r) => r.closest("label")?.textContent)).toEqual([
      // Capacity 0 is no limit: the active tickets alone.
      "Mo Manager (you) · manager online · 1 active · 0 pending",
      "Ana Agent · agent · has it now busy · 3/5 active · 1 pending",
      // Online by their say, without the app open.
      "Ben Agent · agent away · 0/5 active · 0 pending",
      "Back to the queueanyone may accept it",
    ]);
    expect(within(dialog).getByText("away").closest("[title]")?.getAttribute("title")).toBe("Online, but without the app open: the queue passes them over");
    // A viewer cannot reply, so is not offered.
    expect(within(dialog).queryByRole("radio", { name: /Val Viewer/ })).toBeNull();
    expect(within(dialog).getByRole("button", { name: "Transfer" })).toHaveProperty("disabled", true);
    // Busy or away, a member can still be chosen by hand.
    await userEvent.click(within(dialog).getByRole("radio", { name: /Ben Agent/ }));
    expect(within(dialog).getByRole("button", { name: "Transfer" })).toHaveProperty("disabled", false);
  });

  it("hands the ticket to an agent with a note, which shows in the thread", async () => {
    let transferred = false;
    const note = message({ id: "n1", direction: "note", type: "note", body: "Transferred to Ben Agent: wants a refund", status: "received" });
    const { calls } = mockApi({
      [`GET ${base}/t1`]: () => ({ body: transferred ? { ...ticket, assignee_id: "u3", unread: true } : ticket }),
      [`GET ${base}/t1/messages`]: () => thread([message({ id: "m1", direction: "in", body: "any news?", status: "received" }), ...(transferred ? [note] : [])]),
      "GET /api/v1/workspaces/demo/workloads": workloads,
      [`POST ${base}/t1/assign`]: () => {
        transferred = true;
        return { body: { ...ticket, assignee_id: "u3" } };
      },
    });
    const onChanged = vi.fn();
    renderInWorkspace(<ConversationPane id="t1" onChanged={onChanged} />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Transfer" }));
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    await userEvent.click(within(dialog).getByRole("radio", { name: /Ben Agent/ }));
    await userEvent.type(within(dialog).getByLabelText(/Transfer note/), "  wants a refund ");
    await userEvent.click(within(dialog).getByRole("button", { name: "Transfer" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.filter((c) => c.method === "POST").map((c) => [c.url, c.body])).toEqual([[`${base}/t1/assign`, { assignee_id: "u3", note: "wants a refund" }]]);
    expect(screen.getByRole("heading", { name: "Ben" }).parentElement?.textContent).toContain("active · Ben Agent");
    expect(onChanged).toHaveBeenLastCalledWith(expect.objectContaining({ assignee_id: "u3" }));
    await screen.findByText("Transferred to Ben Agent: wants a refund");
  });

  it("sends the ticket back to the queue", async () => {
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/workloads": workloads,
      [`POST ${base}/t1/assign`]: { body: { ...ticket, assignee_id: null, state: "queued" } },
    });
    renderInWorkspace(<ConversationPane id="t1" />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Transfer" }));
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    await userEvent.click(within(dialog).getByRole("radio", { name: /Back to the queue/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Transfer" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ assignee_id: null }]);
    expect(screen.getByRole("heading", { name: "Ben" }).parentElement?.textContent).toContain("queued · unassigned");
    // Back in the queue, the manager may take it themselves.
    expect(screen.getByRole("button", { name: "Accept" })).toBeTruthy();
  });

  it("shows a refusal beside the choice or the note it is about, and keeps the dialog open", async () => {
    const refusals = [
      { assignee_id: "is a viewer, who cannot reply to tickets" },
      { note: "must be at most 4096 characters" },
    ];
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/workloads": { status: 500, body: { error: { code: "internal", message: "boom" } } },
      [`POST ${base}/t1/assign`]: () => ({ status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: refusals.shift() } } }),
    });
    renderInWorkspace(<ConversationPane id="t1" />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Transfer" }));
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    // Without the counts a ticket can still be handed on.
    await within(dialog).findByText("Open tickets could not be counted.");
    await userEvent.click(within(dialog).getByRole("radio", { name: /Ben Agent/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Transfer" }));
    const group = within(dialog).getByRole("group", { name: "Transfer to" });
    await within(group).findByText("is a viewer, who cannot reply to tickets");
    expect(group.getAttribute("aria-describedby")).toBeTruthy();

    await userEvent.click(within(dialog).getByRole("button", { name: "Transfer" }));
    const box = within(dialog).getByLabelText(/Transfer note/);
    await waitFor(() => expect(box.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(box.getAttribute("aria-describedby")!.split(" ").pop()!)?.textContent).toBe("must be at most 4096 characters");
    expect(within(group).queryByText("is a viewer, who cannot reply to tickets")).toBeNull();
    expect(screen.getByRole("dialog", { name: "Transfer ticket" })).toBeTruthy();
  });

  it("moves the ticket into a team's queue or the general queue, and leaves its team as it is when handing it to a member", async () => {
    const inBilling = { ...ticket, team_id: "tm1" };
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: inBilling },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/workloads": workloads,
      "GET /api/v1/workspaces/demo/teams": {
        body: {
          items: [
            { id: "tm1", name: "Billing", member_ids: ["u2", "u3"], connection_ids: [], created_at: "", updated_at: "" },
            { id: "tm2", name: "Sales Team", member_ids: [], connection_ids: [], created_at: "", updated_at: "" },
          ],
          next_cursor: "",
        },
      },
      [`POST ${base}/t1/assign`]: (c) => {
        const b = c.body as { assignee_id: string | null; team_id?: string };
        return { body: { ...inBilling, assignee_id: b.assignee_id, state: b.assignee_id ? "active" : "queued", team_id: b.team_id === undefined ? "tm1" : b.team_id || null } };
      },
    });
    renderInWorkspace(<ConversationPane id="t1" />, manager());
    // The head names the ticket's team.
    const head = (await screen.findByRole("heading", { name: "Ben" })).closest(".thread-title") as HTMLElement;
    await waitFor(() => expect(head.querySelector(".team-badge")?.textContent).toBe("Billing"));

    const transfer = async (choice: RegExp) => {
      await userEvent.click(screen.getByRole("button", { name: "Transfer" }));
      const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
      await userEvent.click(within(dialog).getByRole("radio", { name: choice }));
      await userEvent.click(within(dialog).getByRole("button", { name: "Transfer" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    };
    await userEvent.click(screen.getByRole("button", { name: "Transfer" }));
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    expect(within(dialog).getAllByRole("radio").map((r) => r.closest("label")?.textContent).slice(3)).toEqual([
      "General queueanyone may accept it",
      "Billing team queueits 2 members may accept it",
      // A name that says team already is not said twice.
      "Sales Team queueno members yet",
    ]);
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));

    await transfer(/Sales Team queue/);
    await transfer(/General queue/);
    expect(head.querySelector(".team-badge")).toBeNull();
    await transfer(/Ben Agent/);
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { assignee_id: null, team_id: "tm2" },
      { assignee_id: null, team_id: "" },
      { assignee_id: "u3" },
    ]);
  });

  it("marks the team's queue a queued ticket waits in", async () => {
    mockApi({
      [`GET ${base}/t1`]: { body: { ...ticket, assignee_id: null, state: "queued", team_id: "tm1" } },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/workloads": workloads,
      "GET /api/v1/workspaces/demo/teams": {
        body: { items: [{ id: "tm1", name: "Billing", member_ids: [], connection_ids: [], created_at: "", updated_at: "" }], next_cursor: "" },
      },
    });
    renderInWorkspace(<ConversationPane id="t1" />, manager());
    await waitFor(() => expect(document.querySelector(".thread-title .team-badge")?.textContent).toBe("Billing"));
    await userEvent.click(screen.getByRole("button", { name: "Transfer" }));
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    expect(within(dialog).getByRole("radio", { name: /Billing team queue/ }).closest("label")?.textContent).toContain("it is there now");
    expect(within(dialog).getByRole("radio", { name: /General queue/ }).closest("label")?.textContent).not.toContain("it is there now");
  });

  it("is not offered to an agent, nor on a chat", async () => {
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([message({ id: "m1", direction: "in", body: "any news?", status: "received" })]),
      [`GET ${base}/c2`]: { body: conversation({ id: "c2", kind: "chat" }) },
      [`GET ${base}/c2/messages`]: thread([message({ id: "m2", conversation_id: "c2", body: "spring sale", status: "sent" })]),
    });
    const agent = renderInWorkspace(<ConversationPane id="t1" />, manager({ permissions: AGENT, role: "agent" }));
    await screen.findByText("any news?");
    expect(screen.queryByRole("button", { name: "Transfer" })).toBeNull();
    expect(fireEvent.keyDown(screen.getByText("any news?"), { key: "t", code: "KeyT", ctrlKey: true })).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();
    agent.unmount();

    renderInWorkspace(<ConversationPane id="c2" />, manager());
    await screen.findByText("spring sale");
    expect(screen.queryByRole("button", { name: "Transfer" })).toBeNull();
  });
});

describe("a Chat queue's actions", () => {
  it("sends its scheduled messages now, and deletes the conversation after asking", async () => {
    const { calls } = mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1", kind: "chat", title: "Queue A" }) },
      [`GET ${base}/c1/messages`]: thread([
        message({ id: "s1", body: "tomorrow's reminder", status: "scheduled", scheduled_at: "2030-01-04T09:00:00Z" }),
        message({ id: "s2", body: "and the follow-up", status: "scheduled", scheduled_at: "2030-01-04T10:00:00Z" }),
      ]),
      [`POST ${base}/c1/send-now`]: { body: { sent: 2 } },
      [`DELETE ${base}/c1`]: { status: 204 },
    });
    const onDeleted = vi.fn();
    renderInWorkspace(<ConversationPane id="c1" onDeleted={onDeleted} />, fakeWorkspace());
    await userEvent.click(await screen.findByRole("button", { name: "Send all now" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "POST" && c.url === `${base}/c1/send-now`)).toHaveLength(1));

    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    const confirm = await screen.findByRole("dialog", { name: "Delete this conversation?" });
    expect(confirm.textContent).toContain("its 2 scheduled messages are cancelled (nothing was charged for them)");
    await userEvent.click(within(confirm).getByRole("button", { name: "Delete conversation" }));
    await waitFor(() => expect(onDeleted).toHaveBeenCalledOnce());
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual([`${base}/c1`]);
  });

  it("offers no delete to a role that may not", async () => {
    mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1", kind: "chat" }) },
      [`GET ${base}/c1/messages`]: thread([message({ id: "m1", body: "hello", status: "sent" })]),
    });
    renderInWorkspace(<ConversationPane id="c1" />, fakeWorkspace({ permissions: ["chat:read", "chat:send", "conversations:read", "conversations:reply"] }));
    await screen.findByText("hello");
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect(screen.getByRole("button", { name: "Archive" })).toBeTruthy();
  });
});

describe("a conversation with several recipients", () => {
  it("names each customer, and a reply to one goes to that customer only", async () => {
    const theirs = message({ id: "i1", direction: "in", contact_id: "ben", body: "Is there parking?", status: "received", created_at: new Date().toISOString() });
    const { calls } = mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1", recipients: 2, title: "Launch", channel: { id: "conn1", kind: "sms", engine: "loopback", display_name: "SMS", address: "+1555", status: "active", window_24h: false } }) },
      [`GET ${base}/c1/messages`]: thread([theirs]),
      [`GET ${base}/c1/recipients`]: { body: { items: [{ id: "ana", name: "Ana" }, { id: "ben", name: "Ben" }], next_cursor: "" } },
      [`POST ${base}/c1/messages`]: { status: 201, body: message({ id: "r1", contact_id: "ben", body: "Yes, free after 6" }) },
    });
    renderInWorkspace(<ConversationPane id="c1" />, fakeWorkspace());
    const bubble = (await screen.findByText("Is there parking?")).closest(".msg") as HTMLElement;
    await within(bubble).findByText("Ben");
    expect(screen.getByRole("heading", { name: "Launch" }).parentElement?.textContent).toContain("2 recipients");
    await userEvent.click(within(bubble).getByRole("button", { name: "Reply" }));
    expect(screen.getByRole("status").textContent).toContain("Replying to Ben only");
    const box = screen.getByLabelText("Message", { exact: true });
    await userEvent.type(box, "Yes, free after 6{enter}");
    await screen.findByText("Yes, free after 6");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ type: "text", text: "Yes, free after 6", reply_to: "i1" });
    expect(screen.queryByText(/Replying to/)).toBeNull();
  });
});

describe("canned responses in a conversation", () => {
  it("fill in the details of the customer replied to, and nobody's in a message to every recipient", async () => {
    mockApi({
      [`GET ${base}/c1`]: { body: conversation({ id: "c1", recipients: 2, title: "Launch", channel: { id: "conn1", kind: "sms", engine: "loopback", display_name: "SMS", address: "+1555", status: "active", window_24h: false } }) },
      [`GET ${base}/c1/messages`]: thread([message({ id: "i1", direction: "in", contact_id: "ben", body: "Is there parking?", status: "received" })]),
      [`GET ${base}/c1/recipients`]: { body: { items: [{ id: "ana", name: "Ana Lopez" }, { id: "ben", name: "Ben Okafor", email: "ben@example.test" }], next_cursor: "" } },
      "GET /api/v1/workspaces/demo/canned-responses": {
        body: { items: [{ id: "cr1", shortcut: "hi", title: "Greeting", category: "", body: "Hi {{first_name}} ({{email}})", created_at: "", updated_at: "" }], next_cursor: "" },
      },
    });
    renderInWorkspace(<ConversationPane id="c1" />, fakeWorkspace());
    const bubble = (await screen.findByText("Is there parking?")).closest(".msg") as HTMLElement;
    await within(bubble).findByText("Ben Okafor");
    const box = screen.getByLabelText("Message", { exact: true }) as HTMLTextAreaElement;
    await userEvent.type(box, "/hi");
    await screen.findByRole("option", { name: /Greeting/ });
    await userEvent.keyboard("{Enter}");
    expect(box.value).toBe("Hi {{first_name}} ({{email}})");

    await userEvent.clear(box);
    await userEvent.click(within(bubble).getByRole("button", { name: "Reply" }));
    await userEvent.type(box, "/hi{Enter}");
    expect(box.value).toBe("Hi Ben (ben@example.test)");
  });
});

describe("read state", () => {
  it("reads a ticket for the admin who opens it, and marks it unread for its assignee only when asked, after confirming", async () => {
    const ticket = conversation({ id: "c1", kind: "ticket", state: "active", assignee_id: "u2", unread: true });
    const { calls } = mockApi({
      [`GET ${base}/c1`]: { body: ticket },
      [`GET ${base}/c1/messages`]: thread([message({ id: "i", direction: "in", body: "Hello?", status: "received" })]),
      [`PATCH ${base}/c1`]: (c) => ({ body: { ...ticket, unread: !!(c.body as { unread?: boolean }).unread && !(c.body as { for_user_id?: string }).for_user_id } }),
    });
    const w = fakeWorkspace({ members: [{ user_id: "u2", name: "Ana Agent", email: "ana@x", role: "agent" } as never] });
    renderInWorkspace(<ConversationPane id="c1" />, w);
    await screen.findByText("Hello?");
    // Opening it reads it for the admin: their own state, the agent's stays.
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ unread: false }]));

    await userEvent.click(screen.getByRole("button", { name: "Mark unread for Ana Agent" }));
    const confirm = screen.getByRole("dialog", { name: "Mark unread for the assignee?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Mark unread for Ana Agent" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ unread: false }, { unread: true, for_user_id: "u2" }]));
  });
});

describe("the 24-hour window", () => {
  const hour = 3600_000;
  const now = Date.parse("2030-01-02T12:00:00Z");
  const at = (hoursAgo: number) => new Date(now - hoursAgo * hour).toISOString();

  it("is the customer's with the number: a message in another conversation opens it here", () => {
    const fresh = conversation({ last_inbound_at: null, window_opened_at: at(1) });
    expect(templatesOnly(fakeWorkspace(), fresh, now)).toBe(false);
    expect(windowFrom(fresh)).toBe(at(1));
  });

  it("runs from the later of their messages here and elsewhere", () => {
    const c = conversation({ last_inbound_at: at(30), window_opened_at: at(2) });
    expect(templatesOnly(fakeWorkspace(), c, now)).toBe(false);
    const old = conversation({ last_inbound_at: at(2), window_opened_at: at(30) });
    expect(windowFrom(old)).toBe(at(2));
  });

  it("stays closed when they have not written for a day anywhere", () => {
    const c = conversation({ last_inbound_at: at(30), window_opened_at: at(26) });
    expect(templatesOnly(fakeWorkspace(), c, now)).toBe(true);
    expect(templatesOnly(fakeWorkspace(), conversation({ last_inbound_at: null }), now)).toBe(true);
  });
});

describe("the contact panel", () => {
  const ticket = conversation({ id: "t1", kind: "ticket", state: "active", title: "Maya Patel" });

  /** The facts the panel lists, as "term: detail". */
  function facts(): string[] {
    const panel = screen.getByRole("complementary", { name: "Contact" });
    return [...panel.querySelectorAll("dl.facts:first-of-type dt")].map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`);
  }

  it("shows the contact's custom attributes and links to the customer's other conversations where each opens", async () => {
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/contacts/ct1": { body: { id: "ct1", name: "Maya Patel", attributes: { city: "Lisbon", plan: "Gold" } } },
      [`GET ${base}`]: {
        body: {
          items: [
            conversation({ id: "c9", kind: "chat", title: "Spring sale", pill: "sent" }),
            ticket,
            conversation({ id: "t0", kind: "ticket", state: "resolved", title: "Refund" }),
          ],
          next_cursor: "",
        },
      },
    });
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace());
    const panel = await screen.findByRole("complementary", { name: "Contact" });
    await within(panel).findByText("Previous conversations (2)");
    const links = within(within(panel).getByRole("list", { name: "Previous conversations" })).getAllByRole("link");
    // The open ticket is not among them; a chat opens in Chat, a ticket in the Team Inbox.
    expect(links.map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["Spring sale", "/w/demo/chat/c9"],
      ["Refund", "/w/demo/inbox/t0"],
    ]);
    expect(links[1].closest("li")?.textContent).toContain("· resolved ·");
    expect(within(panel).queryByText(/and .*more/)).toBeNull();
    await waitFor(() => expect(facts()).toContain("city: Lisbon"));
    expect(facts()).toContain("plan: Gold");
    const list = calls.find((c) => c.url.startsWith(`${base}?`))!;
    expect(new URL(list.url, "http://x").searchParams.get("contact")).toBe("ct1");
  });

  it("lists no attributes for a contact without any, and says how many more conversations there are", async () => {
    const others = Array.from({ length: 7 }, (_, i) => conversation({ id: `o${i}`, kind: "ticket", state: "resolved", title: `Old ${i}` }));
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/contacts/ct1": { body: { id: "ct1", name: "Maya Patel", attributes: {} } },
      [`GET ${base}`]: { body: { items: [ticket, ...others], next_cursor: "" } },
    });
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace());
    const panel = await screen.findByRole("complementary", { name: "Contact" });
    await within(panel).findByText("Previous conversations (7)");
    expect(within(within(panel).getByRole("list", { name: "Previous conversations" })).getAllByRole("link")).toHaveLength(5);
    expect(within(panel).getByText("and 2 more")).toBeTruthy();
    expect(facts().map((f) => f.split(":")[0])).toEqual(["Phone", "Status", "Assignee", "Connection", "Customer last wrote", "24-hour window", "Opened"]);
  });

  it("says there are more when the customer has more conversations than it counts", async () => {
    const others = Array.from({ length: 20 }, (_, i) => conversation({ id: `o${i}`, kind: "ticket", title: `Old ${i}` }));
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/contacts/ct1": { body: { id: "ct1", attributes: {} } },
      [`GET ${base}`]: { body: { items: others, next_cursor: "next" } },
    });
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace());
    const panel = await screen.findByRole("complementary", { name: "Contact" });
    await within(panel).findByText("Previous conversations (20+)");
    expect(within(panel).getByText("and more")).toBeTruthy();
  });

  it("says the customer has no other conversations, the term with its detail", async () => {
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      "GET /api/v1/workspaces/demo/contacts/ct1": { body: { id: "ct1", attributes: {} } },
      [`GET ${base}`]: { body: { items: [ticket], next_cursor: "" } },
    });
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace());
    const panel = await screen.findByRole("complementary", { name: "Contact" });
    const term = await within(panel).findByText("Previous conversations (0)");
    expect(term.nextElementSibling?.tagName).toBe("DD");
    expect(term.nextElementSibling?.textContent).toBe("None");
  });

  it("does not load the contact for a member who may not read contacts, and notes quietly what could not be loaded", async () => {
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([]),
      [`GET ${base}`]: { status: 500, body: { error: { code: "internal", message: "boom" } } },
    });
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace({ permissions: ["conversations:read", "conversations:reply"], role: "agent" }));
    const panel = await screen.findByRole("complementary", { name: "Contact" });
    await within(panel).findByText("Previous conversations could not be loaded.");
    expect(calls.some((c) => c.url.includes("/contacts/"))).toBe(false);
    expect(within(panel).queryByRole("link")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("loads nothing of the contact while the panel is closed", async () => {
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: thread([message({ id: "m1", direction: "in", body: "hello?", status: "received" })]),
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("hello?");
    expect(calls.map((c) => c.url.split("?")[0])).not.toContain(base);
    expect(calls.some((c) => c.url.includes("/contacts/"))).toBe(false);
  });
});

describe("who is typing", () => {
  const ticket = conversation({ id: "t1", kind: "ticket", state: "active", assignee_id: "u1", title: "Ben" });
  const routes = {
    [`GET ${base}/t1`]: { body: ticket },
    [`GET ${base}/t1/messages`]: thread([message({ id: "m1", conversation_id: "t1", direction: "in", body: "any news?", status: "received" })]),
  };
  const signedIn = {
    status: "signedIn" as const,
    user: { id: "u1", email: "sam@demo.local", name: "Sam Rivera", is_operator: false, created_at: "2030-01-01T00:00:00Z" },
    memberships: [],
  };
  const T0 = Date.parse("2030-01-02T10:00:00Z");

  afterEach(() => vi.useRealTimers());

  it("tells the others at most once every 4 seconds while the member writes, whatever the server answers", async () => {
    // Only the clock is faked: the thread's requests keep real timeouts.
    vi.useFakeTimers({ now: T0, toFake: ["Date"] });
    const { calls } = mockApi({ ...routes, [`POST ${base}/t1/typing`]: { status: 500, body: { error: { code: "internal", message: "boom" } } } });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace(), signedIn);
    await screen.findByText("any news?");
    const box = screen.getByRole("textbox", { name: "Message" });
    const said = () => calls.filter((c) => c.method === "POST" && c.url === `${base}/t1/typing`).length;

    fireEvent.change(box, { target: { value: "O" } });
    fireEvent.change(box, { target: { value: "On" } });
    expect(said()).toBe(1);
    vi.setSystemTime(T0 + 3999);
    fireEvent.change(box, { target: { value: "On i" } });
    expect(said()).toBe(1);
    vi.setSystemTime(T0 + 4000);
    fireEvent.change(box, { target: { value: "On it" } });
    expect(said()).toBe(2);
    // Emptying the box is not writing.
    vi.setSystemTime(T0 + 9000);
    fireEvent.change(box, { target: { value: "" } });
    expect(said()).toBe(2);
    // The server's refusal is not the member's concern.
    await waitFor(() => expect(calls.filter((c) => c.url.endsWith("/typing"))).toHaveLength(2));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says nothing for a page without a signed-in member", async () => {
    const { calls } = mockApi(routes);
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("any news?");
    fireEvent.change(screen.getByRole("textbox", { name: "Message" }), { target: { value: "On it" } });
    expect(calls.some((c) => c.url.endsWith("/typing"))).toBe(false);
  });

  it("names the other members writing here for 6 seconds after each word, or until their message comes", async () => {
    installFakeSocket();
    mockApi(routes);
    const realtime = new Realtime("ws://x/api/v1/workspaces/demo/realtime").start();
    const ws = FakeSocket.last();
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ realtime }), signedIn);
    await screen.findByText("any news?");
    vi.useFakeTimers();
    const typing = (user_id: string, name: string, conversation_id = "t1") =>
      act(() => ws.emit({ type: "conversation.typing", conversation_id, conversation_kind: "ticket", data: { user_id, name } }));
    const shown = () => document.querySelector(".typing-indicator")?.textContent;
    const wait = (ms: number) => act(() => vi.advanceTimersByTime(ms));

    // The member's own words, heard back from the server, and another conversation's.
    typing("u1", "Sam Rivera");
    typing("u3", "Bo", "t9");
    expect(shown()).toBe("");
    typing("u2", "Ana");
    expect(shown()).toBe("Ana is typing…");
    wait(3000);
    typing("u3", "Bo");
    expect(shown()).toBe("Ana and Bo are typing…");
    wait(2999);
    expect(shown()).toBe("Ana and Bo are typing…");
    wait(1);
    expect(shown()).toBe("Bo is typing…");
    // Still writing: Bo stays 6 seconds from now.
    typing("u3", "Bo");
    wait(5999);
    expect(shown()).toBe("Bo is typing…");
    wait(1);
    expect(shown()).toBe("");

    typing("u2", "Ana");
    act(() => ws.emit({ type: "message.created", conversation_id: "t1", conversation_kind: "ticket", data: message({ id: "r1", conversation_id: "t1", author_id: "u2", body: "On it" }) }));
    expect(shown()).toBe("");
    expect(screen.getByText("On it")).toBeTruthy();
    realtime.stop();
  });
});

describe("keyboard shortcuts", () => {
  const ticket = conversation({ id: "t1", kind: "ticket", state: "active", assignee_id: "u1", title: "Ben" });
  const routes = (c = ticket) => ({
    [`GET ${base}/${c.id}`]: { body: c },
    [`GET ${base}/${c.id}/messages`]: thread([message({ id: "m1", conversation_id: c.id, direction: "in", body: "any news?", status: "received" })]),
    [`POST ${base}/${c.id}/messages`]: (call: { body: unknown }) => ({ status: 201, body: message({ id: "r1", conversation_id: c.id, body: (call.body as { text: string }).text }) }),
  });
  const box = (name = "Message") => screen.getByRole("textbox", { name }) as HTMLTextAreaElement;

  it("sends with Ctrl+Enter, and Shift+Enter still starts a new line", async () => {
    const { calls } = mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("any news?");
    await userEvent.type(box(), "On its way{Shift>}{Enter}{/Shift}tomorrow");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
    await userEvent.keyboard("{Control>}{Enter}{/Control}");
    await waitFor(() => expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ type: "text", text: "On its way\ntomorrow" }]));
    expect(box().value).toBe("");
  });

  it("opens Resolve with Ctrl+R from within the ticket, and leaves the key to the browser elsewhere", async () => {
    mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("any news?");
    expect(screen.getByRole("button", { name: "Resolve" }).getAttribute("title")).toBe("Resolve (Ctrl+R)");
    // Outside the conversation the browser reloads as usual.
    expect(fireEvent.keyDown(document.body, { key: "r", code: "KeyR", ctrlKey: true })).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();

    box().focus();
    await userEvent.keyboard("{Control>}r{/Control}");
    const dialog = await screen.findByRole("dialog", { name: "Resolve ticket" });
    // With the dialog open the key is not taken again (its note box has the focus).
    const note = within(dialog).getByLabelText(/Note for the team/);
    expect(document.activeElement).toBe(note);
    expect(fireEvent.keyDown(note, { key: "r", code: "KeyR", ctrlKey: true })).toBe(true);
    expect(screen.getAllByRole("dialog")).toHaveLength(1);
  });

  it("gives the focus back to what opened a dialog when it closes", async () => {
    mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("any news?");
    const resolve = screen.getByRole("button", { name: "Resolve" });
    await userEvent.click(resolve);
    let dialog = await screen.findByRole("dialog", { name: "Resolve ticket" });
    expect(document.activeElement).toBe(within(dialog).getByLabelText(/Note for the team/));
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(resolve);

    await userEvent.click(resolve);
    dialog = await screen.findByRole("dialog", { name: "Resolve ticket" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(resolve);

    // Opened from the composer by its shortcut, the focus goes back to the box.
    box().focus();
    await userEvent.keyboard("{Control>}r{/Control}");
    await screen.findByRole("dialog", { name: "Resolve ticket" });
    await userEvent.keyboard("{Escape}");
    expect(document.activeElement).toBe(box());
  });

  it("takes Ctrl+R after a click in the thread, which keeps the focus in the conversation", async () => {
    mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await userEvent.click(await screen.findByText("any news?"));
    expect(document.activeElement).toBe(screen.getByRole("region", { name: "Conversation with Ben" }));
    await userEvent.keyboard("{Control>}r{/Control}");
    await screen.findByRole("dialog", { name: "Resolve ticket" });
  });

  it("takes no Ctrl+R from a viewer, a chat or a resolved ticket", async () => {
    // From within the conversation: the thread, where a viewer reads.
    const ctrlR = () => fireEvent.keyDown(screen.getByText("any news?"), { key: "r", code: "KeyR", ctrlKey: true });
    mockApi(routes());
    const viewer = renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: VIEWER, role: "viewer" }));
    await screen.findByText("any news?");
    expect(ctrlR()).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();
    viewer.unmount();

    for (const c of [conversation({ id: "c2", kind: "chat" }), conversation({ id: "t3", kind: "ticket", state: "resolved" })]) {
      mockApi(routes(c));
      const r = renderInWorkspace(<ConversationPane id={c.id} />, fakeWorkspace());
      await screen.findByText("any news?");
      expect(ctrlR()).toBe(true);
      expect(screen.queryByRole("dialog")).toBeNull();
      r.unmount();
    }
  });

  it("opens Transfer with Alt+T for a manager, from within the ticket only", async () => {
    mockApi({ ...routes(), "GET /api/v1/workspaces/demo/workloads": { body: { items: [], next_cursor: "" } } });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: MANAGER, role: "manager" }));
    await screen.findByText("any news?");
    const transfer = screen.getByRole("button", { name: "Transfer" });
    expect(transfer.getAttribute("title")).toBe("Transfer (Alt+T)");
    expect(transfer.getAttribute("aria-keyshortcuts")).toBe("Alt+T Control+T");
    expect(fireEvent.keyDown(document.body, { key: "t", code: "KeyT", altKey: true })).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();

    box().focus();
    await userEvent.keyboard("{Alt>}t{/Alt}");
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    expect(fireEvent.keyDown(within(dialog).getByLabelText(/Transfer note/), { key: "t", code: "KeyT", altKey: true })).toBe(true);
    expect(screen.getAllByRole("dialog")).toHaveLength(1);
    await userEvent.keyboard("{Escape}");

    // ⌥T on a Mac types a symbol: the key's place says it is T.
    expect(fireEvent.keyDown(box(), { key: "†", code: "KeyT", altKey: true })).toBe(false);
    await screen.findByRole("dialog", { name: "Transfer ticket" });
  });

  it("offers no Transfer on a resolved ticket", async () => {
    const resolved = conversation({ id: "t3", kind: "ticket", state: "resolved", assignee_id: "u1", title: "Ben" });
    mockApi(routes(resolved));
    renderInWorkspace(<ConversationPane id="t3" />, fakeWorkspace({ permissions: MANAGER, role: "manager" }));
    await screen.findByText("any news?");
    expect(screen.getByRole("button", { name: "Reopen" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Transfer" })).toBeNull();
    expect(fireEvent.keyDown(box(), { key: "t", code: "KeyT", altKey: true })).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("opens Transfer with Ctrl+T too, where the browser lets the page have it", async () => {
    mockApi({ ...routes(), "GET /api/v1/workspaces/demo/workloads": { body: { items: [], next_cursor: "" } } });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: MANAGER, role: "manager" }));
    await screen.findByText("any news?");
    // Outside the conversation the browser opens its new tab.
    expect(fireEvent.keyDown(document.body, { key: "t", code: "KeyT", ctrlKey: true })).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();

    box().focus();
    await userEvent.keyboard("{Control>}t{/Control}");
    const dialog = await screen.findByRole("dialog", { name: "Transfer ticket" });
    expect(fireEvent.keyDown(within(dialog).getByLabelText(/Transfer note/), { key: "t", code: "KeyT", ctrlKey: true })).toBe(true);
    expect(screen.getAllByRole("dialog")).toHaveLength(1);
  });

  it("switches a ticket's composer to an internal note and back with Alt+N, the box keeping the focus", async () => {
    const { calls } = mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("any news?");
    expect(screen.getByRole("radiogroup", { name: "Write" }).getAttribute("title")).toBe(
      "Alt+N (or Ctrl+N where the browser allows) switches between a reply and an internal note",
    );
    expect(screen.getByRole("radio", { name: "Internal note" }).getAttribute("aria-keyshortcuts")).toBe("Alt+N Control+N");
    await userEvent.type(box(), "Refund approved");
    await userEvent.keyboard("{Alt>}n{/Alt}");
    expect(document.activeElement).toBe(box("Internal note"));
    expect(box("Internal note").value).toBe("Refund approved");
    expect(screen.getByRole("radio", { name: "Internal note" })).toHaveProperty("checked", true);
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ type: "note", text: "Refund approved" }]));

    // ⌥N on a Mac is a dead key: the key's place says it is N.
    expect(fireEvent.keyDown(box("Internal note"), { key: "Dead", code: "KeyN", altKey: true })).toBe(false);
    expect(screen.getByRole("radio", { name: "Reply" })).toHaveProperty("checked", true);
    // AltGr (Ctrl+Alt) with the key is a character of the keyboard's, not the shortcut.
    expect(fireEvent.keyDown(box(), { key: "n", code: "KeyN", altKey: true, ctrlKey: true })).toBe(true);
    expect(screen.getByRole("radio", { name: "Reply" })).toHaveProperty("checked", true);
  });

  it("takes Ctrl+R and Alt+N with the canned responses open, which keep only the keys they use", async () => {
    mockApi({
      ...routes(),
      "GET /api/v1/workspaces/demo/canned-responses": {
        body: { items: [{ id: "cr1", shortcut: "thanks", title: "Thank you", category: "", body: "Thanks!", created_at: "", updated_at: "" }], next_cursor: "" },
      },
    });
    const onClose = vi.fn();
    renderInWorkspace(<ConversationPane id="t1" onClose={onClose} />, fakeWorkspace());
    await screen.findByText("any news?");
    await userEvent.type(box(), "/th");
    await screen.findByRole("listbox", { name: "Canned responses" });
    await userEvent.keyboard("{Alt>}n{/Alt}");
    expect(screen.getByRole("radio", { name: "Internal note" })).toHaveProperty("checked", true);
    await userEvent.keyboard("{Alt>}n{/Alt}");
    expect(screen.getByRole("radio", { name: "Reply" })).toHaveProperty("checked", true);

    await userEvent.type(box(), "a");
    await screen.findByRole("listbox", { name: "Canned responses" });
    await userEvent.keyboard("{Control>}r{/Control}");
    await screen.findByRole("dialog", { name: "Resolve ticket" });
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
    expect(box().value).toBe("/tha");
  });

  it("switches a ticket's composer to an internal note and back with Ctrl+N, the box keeping the focus", async () => {
    const { calls } = mockApi(routes());
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace());
    await screen.findByText("any news?");
    await userEvent.type(box(), "Refund approved");
    await userEvent.keyboard("{Control>}n{/Control}");
    expect(document.activeElement).toBe(box("Internal note"));
    expect(screen.getByRole("radio", { name: "Internal note" })).toHaveProperty("checked", true);
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ type: "note", text: "Refund approved" }]));

    await userEvent.keyboard("{Control>}n{/Control}");
    expect(document.activeElement).toBe(box());
    expect(screen.getByRole("radio", { name: "Reply" })).toHaveProperty("checked", true);
  });

  it("takes no Ctrl+N in a chat, which has no notes", async () => {
    mockApi(routes(conversation({ id: "c2", kind: "chat" })));
    renderInWorkspace(<ConversationPane id="c2" />, fakeWorkspace());
    await screen.findByText("any news?");
    expect(fireEvent.keyDown(box(), { key: "n", code: "KeyN", ctrlKey: true })).toBe(true);
    expect(screen.queryByRole("radio", { name: "Internal note" })).toBeNull();
  });

  it("closes the conversation with Escape or the close button, but not while a popup is open or words are in the box", async () => {
    mockApi(routes());
    const onClose = vi.fn();
    renderInWorkspace(<ConversationPane id="t1" onClose={onClose} />, fakeWorkspace());
    await screen.findByText("any news?");

    // A menu closes first.
    await userEvent.click(screen.getByRole("button", { name: "Message actions" }));
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(onClose).not.toHaveBeenCalled();

    // So does a dialog.
    box().focus();
    await userEvent.keyboard("{Control>}r{/Control}");
    await screen.findByRole("dialog", { name: "Resolve ticket" });
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(onClose).not.toHaveBeenCalled();

    // Words in the box would be lost.
    await userEvent.type(box(), "half a reply");
    await userEvent.keyboard("{Escape}");
    expect(onClose).not.toHaveBeenCalled();

    await userEvent.clear(box());
    await userEvent.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalledOnce();

    expect(screen.getByRole("button", { name: "Close conversation" }).getAttribute("title")).toBe("Close (Esc)");
    await userEvent.click(screen.getByRole("button", { name: "Close conversation" }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it("keeps a draft on Escape wherever the focus is", async () => {
    mockApi(routes());
    const onClose = vi.fn();
    renderInWorkspace(<ConversationPane id="t1" onClose={onClose} />, fakeWorkspace());
    await screen.findByText("any news?");
    await userEvent.type(box(), "half a reply");

    // The focus on a message's button, then in the thread.
    screen.getByRole("button", { name: "Message actions" }).focus();
    await userEvent.keyboard("{Escape}");
    await userEvent.click(screen.getByText("any news?"));
    await userEvent.keyboard("{Escape}");
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(onClose).not.toHaveBeenCalled();
    expect(box().value).toBe("half a reply");
  });
});

describe("a ticket's SLA targets", () => {
  const at = (hhmm: string) => `2030-01-02T${hhmm}:00Z`;
  beforeEach(() => vi.useFakeTimers({ now: Date.parse(at("10:50")), toFake: ["Date", "setInterval", "clearInterval"] }));
  afterEach(() => vi.useRealTimers());

  const panelRoutes = (c: ReturnType<typeof conversation>) => ({
    [`GET ${base}/t1`]: { body: c },
    [`GET ${base}/t1/messages`]: thread([]),
    "GET /api/v1/workspaces/demo/contacts/ct1": { body: { id: "ct1", attributes: {} } },
    [`GET ${base}`]: { body: { items: [c], next_cursor: "" } },
  });

  /** The SLA section's targets, as "term: detail". */
  function targets(): string[] {
    const section = screen.getByRole("region", { name: "SLA targets" });
    return [...section.querySelectorAll("dt")].map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`);
  }

  it("lists each target beside the ticket: met with the first answer's time, running with the time left, missed", async () => {
    const ticket = conversation({
      id: "t1",
      kind: "ticket",
      state: "active",
      first_response_due_at: at("10:30"),
      first_response_at: at("10:12"),
      next_response_due_at: at("11:00"),
      resolution_due_at: at("10:40"),
    });
    mockApi(panelRoutes(ticket));
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace());
    const section = await screen.findByRole("region", { name: "SLA targets" });
    expect(section.closest("aside")?.getAttribute("aria-label")).toBe("Contact");
    expect(targets()).toEqual([
      `First response: Met · due ${dateTime(at("10:30"))}Answered ${dateTime(at("10:12"))}, 12 min after the ticket opened`,
      `Next response: Running · due ${dateTime(at("11:00"))} (in 10 min)`,
      `Resolution: Missed · due ${dateTime(at("10:40"))} (overdue 10 min)`,
    ]);
    expect(section.querySelector(".sla-state-missed")?.textContent).toBe("Missed");
    // The head says it too, for when the panel is closed.
    const head = screen.getByRole("region", { name: "Conversation with Maya Patel" }).querySelector(".thread-head")!;
    expect(head.querySelector(".sla-chip")?.getAttribute("title")).toBe("Missed: resolution");

    act(() => vi.advanceTimersByTime(11 * 60_000));
    expect(targets()[1]).toBe(`Next response: Missed · due ${dateTime(at("11:00"))} (overdue 1 min)`);
  });

  it("reads a closed ticket's clocks when it closed, and an earlier late reply", async () => {
    const ticket = conversation({
      id: "t1",
      kind: "ticket",
      state: "resolved",
      state_changed_at: at("10:20"),
      first_response_due_at: at("10:30"),
      next_response_missed: true,
      resolution_due_at: at("12:00"),
    });
    mockApi(panelRoutes(ticket));
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, fakeWorkspace());
    await screen.findByRole("region", { name: "SLA targets" });
    expect(targets()).toEqual([
      `First response: Stopped · due ${dateTime(at("10:30"))}The ticket closed before it fell due.`,
      "Next response: MissedA customer's message was answered late.",
      `Resolution: Met · due ${dateTime(at("12:00"))}`,
    ]);
  });

  it("shows none for a ticket without targets, and takes them from a live update", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", state: "queued" });
    mockApi(panelRoutes(ticket));
    const { w, send } = liveWorkspace();
    renderInWorkspace(<ConversationPane id="t1" contactOpen />, w);
    await screen.findByRole("complementary", { name: "Contact" });
    expect(screen.queryByRole("region", { name: "SLA targets" })).toBeNull();

    const { contact: _c, channel: _ch, templates_only: _t, tags: _tags, labels: _labels, sla_breaches: _b, ...change } = {
      ...ticket,
      first_response_due_at: at("11:00"),
      resolution_due_at: at("20:00"),
    };
    send({ type: "conversation.updated", conversation_id: "t1", conversation_kind: "ticket", data: change });
    expect(targets()).toEqual([
      `First response: Running · due ${dateTime(at("11:00"))} (in 10 min)`,
      `Resolution: Running · due ${dateTime(at("20:00"))} (in 9 h)`,
    ]);
    expect(document.querySelector(".thread-head .sla-chip")?.textContent).toBe("First response in 10 min");
  });
});
