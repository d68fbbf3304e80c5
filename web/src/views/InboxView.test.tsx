import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { conversation, mockApi, type Call } from "../test/fakes";
import { AGENT, fakeWorkspace, liveWorkspace, MANAGER, renderInWorkspace } from "../test/workspace";
import { InboxView } from "./InboxView";

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

const base = "/api/v1/workspaces/demo/conversations";
const inUse = {
  tags: [
    { name: "VIP", conversations: 2 },
    { name: "billing", conversations: 1 },
  ],
  labels: [
    { name: "Escalated", conversations: 1 },
    { name: "Follow-up", conversations: 0 },
    { name: "Bug", conversations: 0 },
    { name: "Feature request", conversations: 0 },
  ],
};

/** The list requests' query parameters, in order. */
function listQueries(calls: Call[]): URLSearchParams[] {
  return calls.filter((c) => c.method === "GET" && c.url.split("?")[0] === base).map((c) => new URL(c.url, "http://x").searchParams);
}

/** The titles of the cards listed now (the list is drawn anew on each load). */
function titles(): string[] {
  return [...document.querySelectorAll(".cards .card-title")].map((t) => t.textContent ?? "");
}

/** An agent's workspace whose realtime events the test sends. */
const liveAgent = () => liveWorkspace({ permissions: AGENT, role: "agent", connections: null });

function routes(items: (q: URLSearchParams) => ReturnType<typeof conversation>[]) {
  return {
    [`GET ${base}`]: (c: Call) => ({ body: { items: items(new URL(c.url, "http://x").searchParams), next_cursor: "" } }),
    [`GET ${base}/counts`]: { body: { kind: "ticket", counts: { queued: 1, active: 1, pending: 0, resolved: 0 } } },
    "GET /api/v1/workspaces/demo/conversation-tags": { body: inUse },
  };
}

describe("the Team Inbox's tag and label filters", () => {
  it("send tag= and label= with the list request, keep them in the URL, and clear with the other filters", async () => {
    const escalated = conversation({ id: "t1", kind: "ticket", title: "Ana", labels: ["Escalated"], tags: ["VIP"] });
    const plain = conversation({ id: "t2", kind: "ticket", title: "Ben" });
    const { calls } = mockApi(
      routes((q) => [escalated, plain].filter((c) => (!q.get("label") || c.labels.includes(q.get("label")!)) && (!q.get("tag") || c.tags.includes(q.get("tag")!)))),
    );
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await waitFor(() => expect(titles()).toEqual(["Ana", "Ben"]));

    const labels = screen.getByLabelText("Label") as HTMLSelectElement;
    await waitFor(() => expect([...labels.options].map((o) => o.textContent)).toEqual(["All labels", "Escalated", "Follow-up", "Bug", "Feature request"]));
    await userEvent.selectOptions(labels, "Escalated");
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    expect(listQueries(calls).pop()!.get("label")).toBe("Escalated");
    expect(new URLSearchParams(window.location.search).get("label")).toBe("Escalated");

    const tags = screen.getByLabelText("Tag") as HTMLSelectElement;
    expect([...tags.options].map((o) => o.textContent)).toEqual(["All tags", "VIP", "billing"]);
    await userEvent.selectOptions(tags, "billing");
    await screen.findByText("No tickets match");
    const last = listQueries(calls).pop()!;
    expect([last.get("kind"), last.get("label"), last.get("tag")]).toEqual(["ticket", "Escalated", "billing"]);

    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(titles()).toEqual(["Ana", "Ben"]));
    const cleared = listQueries(calls).pop()!;
    expect([cleared.has("label"), cleared.has("tag")]).toEqual([false, false]);
    expect((screen.getByLabelText("Label") as HTMLSelectElement).value).toBe("");
  });

  it("shows on each card its labels and first two tags, counting the rest", async () => {
    mockApi(
      routes(() => [
        conversation({ id: "t1", kind: "ticket", title: "Ana", labels: ["Escalated", "Bug"], tags: ["VIP", "billing", "late"] }),
        conversation({ id: "t2", kind: "ticket", title: "Ben" }),
      ]),
    );
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    const ana = (await screen.findByText("Ana")).closest(".card") as HTMLElement;
    const chips = [...ana.querySelectorAll(".tag-chip")].map((c) => `${c.classList.contains("tag-chip-labels") ? "label" : "tag"}:${c.textContent}`);
    expect(chips).toEqual(["label:Escalated", "label:Bug", "tag:VIP", "tag:billing"]);
    expect(within(ana).getByText("+1").getAttribute("title")).toBe("late");
    const ben = screen.getByText("Ben").closest(".card") as HTMLElement;
    expect(ben.querySelector(".card-tags")).toBeNull();
  });

  it("does not take in a conversation a live update names when the list is filtered by a label", async () => {
    const bug = conversation({ id: "t1", kind: "ticket", title: "Ana", labels: ["Bug"] });
    const other = conversation({ id: "t9", kind: "ticket", title: "Zed", last_activity_at: "2030-01-03T10:00:00Z" });
    const { calls } = mockApi(routes((q) => (q.get("label") === "Bug" ? [bug] : [bug, other])));
    const { w, send } = liveAgent();
    window.history.replaceState(null, "", "/w/demo/inbox?label=Bug");
    renderInWorkspace(<InboxView />, w);
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    const before = listQueries(calls).length;

    // The event fits every other filter, but does not say the conversation's labels.
    const { contact: _contact, channel: _channel, templates_only: _t, tags: _tags, labels: _labels, ...change } = { ...other, last_message_preview: "any news?" };
    send({ type: "conversation.updated", conversation_id: "t9", conversation_kind: "ticket", data: change });
    expect(titles()).toEqual(["Ana"]);
    // The server, asked again, says whether it carries the label: it does not.
    await waitFor(() => expect(listQueries(calls).length).toBe(before + 1));
    expect(listQueries(calls).pop()!.get("label")).toBe("Bug");
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    expect(screen.queryByText("Zed")).toBeNull();
  });
});

describe("the open ticket in the Team Inbox", () => {
  it("closes with Escape back to the list, its filters kept", async () => {
    const ana = conversation({ id: "t1", kind: "ticket", title: "Ana" });
    mockApi({
      ...routes(() => [ana]),
      [`GET ${base}/t1`]: { body: ana },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
    });
    window.history.replaceState(null, "", "/w/demo/inbox/t1?state=active");
    renderInWorkspace(<InboxView conversation="t1" />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await screen.findByRole("region", { name: "Conversation with Ana" });
    await userEvent.keyboard("{Escape}");
    expect(window.location.pathname + window.location.search).toBe("/w/demo/inbox?state=active");
  });
});

describe("abandoned tickets in the Team Inbox", () => {
  /** The Status tabs as shown: each label and its count. */
  const tabs = () => within(screen.getByRole("group", { name: "Status" })).getAllByRole("button").map((b) => b.textContent);

  it("have a Status tab with their count, which lists them with their badge", async () => {
    const waiting = conversation({ id: "t1", kind: "ticket", state: "queued", title: "Ana" });
    const gone = conversation({ id: "t2", kind: "ticket", state: "abandoned", title: "Ben", last_activity_at: "2030-01-01T10:00:00Z" });
    const { calls } = mockApi({
      ...routes((q) => [waiting, gone].filter((c) => !q.get("state") || c.state === q.get("state"))),
      [`GET ${base}/counts`]: { body: { kind: "ticket", counts: { queued: 1, active: 0, pending: 0, resolved: 0, abandoned: 1 } } },
    });
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await waitFor(() => expect(tabs()).toEqual(["All2", "Queued1", "Active0", "Pending0", "Resolved0", "Abandoned1"]));
    await waitFor(() => expect(titles()).toEqual(["Ana", "Ben"]));

    await userEvent.click(screen.getByRole("button", { name: /^Abandoned/ }));
    await waitFor(() => expect(titles()).toEqual(["Ben"]));
    expect(listQueries(calls).pop()!.get("state")).toBe("abandoned");
    expect(new URLSearchParams(window.location.search).get("state")).toBe("abandoned");
    expect(screen.getByRole("button", { name: /^Abandoned/ }).getAttribute("aria-pressed")).toBe("true");
    const badge = (screen.getByText("Ben").closest(".card") as HTMLElement).querySelector(".pill")!;
    expect(badge.textContent).toBe("abandoned");
    expect(badge.classList.contains("pill-abandoned")).toBe(true);
  });

  it("leave the queue as the auto-close rules abandon them, live, and are counted again", async () => {
    const waiting = conversation({ id: "t1", kind: "ticket", state: "queued", title: "Ana" });
    let abandoned = false;
    const { calls } = mockApi({
      ...routes((q) => (q.get("state") === "queued" && !abandoned ? [waiting] : [])),
      [`GET ${base}/counts`]: () => ({ body: { kind: "ticket", counts: { queued: abandoned ? 0 : 1, active: 0, pending: 0, resolved: 0, abandoned: abandoned ? 1 : 0 } } }),
    });
    const { w, send } = liveAgent();
    window.history.replaceState(null, "", "/w/demo/inbox?state=queued");
    renderInWorkspace(<InboxView />, w);
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    await waitFor(() => expect(tabs()).toContain("Abandoned0"));
    const counted = calls.filter((c) => c.url.startsWith(`${base}/counts`)).length;

    abandoned = true;
    const { contact: _contact, channel: _channel, templates_only: _t, tags: _tags, labels: _labels, ...change } = {
      ...waiting,
      state: "abandoned" as const,
      state_changed_at: "2030-01-02T12:00:00Z",
    };
    send({ type: "conversation.updated", conversation_id: "t1", conversation_kind: "ticket", data: change });
    expect(titles()).toEqual([]);
    await screen.findByText("No tickets match");
    await waitFor(() => expect(tabs()).toEqual(["All1", "Queued0", "Active0", "Pending0", "Resolved0", "Abandoned1"]));
    expect(calls.filter((c) => c.url.startsWith(`${base}/counts`)).length).toBe(counted + 1);
  });
});

describe("SLA on the Team Inbox's cards", () => {
  // The fakes' tickets open at 10:00; the page's clock reads 10:00 too.
  const NOW = "2030-01-02T10:00:00Z";
  const at = (hhmm: string) => `2030-01-02T${hhmm}:00Z`;

  beforeEach(() => {
    // Only the clock and its ticking are faked: the list's requests and waitFor keep real timeouts.
    vi.useFakeTimers({ now: Date.parse(NOW), toFake: ["Date", "setInterval", "clearInterval"] });
  });
  afterEach(() => vi.useRealTimers());

  /** A card's SLA chip, or null. */
  const chip = (title: string) => (screen.getByText(title).closest(".card") as HTMLElement).querySelector<HTMLElement>(".sla-chip");

  const tickets = [
    conversation({ id: "t1", kind: "ticket", state: "queued", title: "Ana", first_response_due_at: at("10:40"), resolution_due_at: at("18:00") }),
    conversation({ id: "t2", kind: "ticket", title: "Ben", first_response_due_at: at("09:30"), first_response_at: at("09:20"), next_response_due_at: at("10:10") }),
    conversation({ id: "t3", kind: "ticket", state: "pending", title: "Cy", first_response_due_at: at("09:50"), resolution_due_at: at("09:55") }),
    conversation({ id: "t4", kind: "ticket", state: "resolved", state_changed_at: at("09:30"), title: "Dee", first_response_at: at("08:10"), first_response_due_at: at("08:30"), resolution_due_at: at("09:00") }),
    conversation({ id: "t5", kind: "ticket", state: "abandoned", state_changed_at: at("09:30"), title: "Eve", first_response_due_at: at("09:45") }),
    conversation({ id: "t6", kind: "ticket", title: "Fay" }),
  ];

  it("counts down the target due next, amber within 15 minutes, red once missed, and only a miss on a closed ticket", async () => {
    mockApi(routes(() => tickets));
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await screen.findByText("Fay");

    expect(chip("Ana")?.textContent).toBe("First response in 40 min");
    expect(chip("Ana")?.className).toBe("sla-chip");
    expect(chip("Ben")?.textContent).toBe("Reply in 10 min");
    expect(chip("Ben")?.classList.contains("sla-chip-soon")).toBe(true);
    // Missed: which targets, in the tooltip and for screen readers.
    expect(chip("Cy")?.classList.contains("sla-chip-missed")).toBe(true);
    expect(chip("Cy")?.getAttribute("title")).toBe("Missed: first response, resolution");
    expect(within(chip("Cy")!).getByText("SLA missed")).toBeTruthy();
    // Resolved after its resolution target: its clock stopped at 09:30, past 09:00.
    expect(chip("Dee")?.getAttribute("title")).toBe("Missed: resolution");
    // Abandoned at 09:30, before its first response fell due: nothing missed, nothing running.
    expect(chip("Eve")).toBeNull();
    expect(chip("Fay")).toBeNull();
  });

  it("moves on with the clock, without asking the server again", async () => {
    const { calls } = mockApi(routes(() => tickets.slice(0, 2)));
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await screen.findByText("Ben");
    const asked = calls.length;
    expect(chip("Ana")?.textContent).toBe("First response in 40 min");

    // The chips move on every half minute (the last tick here at 10:26), no sooner, to keep a long list quiet.
    act(() => vi.advanceTimersByTime(29_000));
    expect(chip("Ana")?.textContent).toBe("First response in 40 min");
    act(() => vi.advanceTimersByTime(26 * 60_000));
    expect(chip("Ana")?.textContent).toBe("First response in 14 min");
    expect(chip("Ana")?.classList.contains("sla-chip-soon")).toBe(true);
    // Ben's reply was due at 10:10.
    expect(chip("Ben")?.textContent).toBe("SLA missed: next response");
    expect(chip("Ben")?.getAttribute("title")).toBe("Missed: next response");
    act(() => vi.advanceTimersByTime(15 * 60_000));
    expect(chip("Ana")?.textContent).toBe("SLA missed: first response");
    expect(calls.length).toBe(asked);
  });

  it("takes a ticket's new targets from a live update", async () => {
    const ana = conversation({ id: "t1", kind: "ticket", title: "Ana" });
    mockApi(routes(() => [ana]));
    const { w, send } = liveAgent();
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, w);
    await screen.findByText("Ana");
    expect(chip("Ana")).toBeNull();

    // The customer wrote: the server started the ticket's clocks, and says so without sla_breaches.
    const { contact: _c, channel: _ch, templates_only: _t, tags: _tags, labels: _labels, sla_breaches: _b, ...change } = {
      ...ana,
      first_response_due_at: at("10:30"),
      resolution_due_at: at("14:00"),
    };
    send({ type: "conversation.updated", conversation_id: "t1", conversation_kind: "ticket", data: change });
    expect(chip("Ana")?.textContent).toBe("First response in 30 min");
    // Answered at 10:05: the resolution is what runs.
    send({ type: "conversation.updated", conversation_id: "t1", conversation_kind: "ticket", data: { ...change, first_response_at: at("10:05") } });
    expect(chip("Ana")?.textContent).toBe("Resolve in 4 h");
  });
});

describe("the Team Inbox's SLA missed filter", () => {
  it("asks for sla=breached, keeps it in the URL, and clears with the other filters", async () => {
    const late = conversation({ id: "t1", kind: "ticket", title: "Ana", first_response_due_at: "2020-01-01T00:00:00Z" });
    const fine = conversation({ id: "t2", kind: "ticket", title: "Ben" });
    const { calls } = mockApi(routes((q) => (q.get("sla") === "breached" ? [late] : [late, fine])));
    window.history.replaceState(null, "", "/w/demo/inbox?state=active");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await waitFor(() => expect(titles()).toEqual(["Ana", "Ben"]));
    expect(listQueries(calls).pop()!.has("sla")).toBe(false);

    const toggle = screen.getByRole("button", { name: "SLA missed" });
    expect(toggle.getAttribute("aria-pressed")).toBe("false");
    await userEvent.click(toggle);
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    const asked = listQueries(calls).pop()!;
    expect([asked.get("kind"), asked.get("state"), asked.get("sla")]).toEqual(["ticket", "active", "breached"]);
    expect(new URLSearchParams(window.location.search).get("sla")).toBe("breached");
    expect(screen.getByRole("button", { name: "SLA missed" }).getAttribute("aria-pressed")).toBe("true");

    // Pressed again, it lets every ticket back.
    await userEvent.click(screen.getByRole("button", { name: "SLA missed" }));
    await waitFor(() => expect(titles()).toEqual(["Ana", "Ben"]));
    expect(listQueries(calls).pop()!.has("sla")).toBe(false);
    expect(new URLSearchParams(window.location.search).has("sla")).toBe(false);
  });

  it("is on when the URL says so, and Clear filters takes it off", async () => {
    const { calls } = mockApi(routes((q) => (q.get("sla") === "breached" ? [] : [conversation({ id: "t2", kind: "ticket", title: "Ben" })])));
    window.history.replaceState(null, "", "/w/demo/inbox?sla=breached");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await screen.findByText("No tickets match");
    expect(listQueries(calls)[0].get("sla")).toBe("breached");
    expect(screen.getByRole("button", { name: "SLA missed" }).getAttribute("aria-pressed")).toBe("true");
    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(titles()).toEqual(["Ben"]));
    expect(listQueries(calls).pop()!.has("sla")).toBe(false);
    expect(screen.getByRole("button", { name: "SLA missed" }).getAttribute("aria-pressed")).toBe("false");
  });
});

describe("the Team Inbox's teams", () => {
  const teams = {
    "GET /api/v1/workspaces/demo/teams": {
      body: {
        items: [
          { id: "tm1", name: "Billing", member_ids: ["u2"], connection_ids: [], created_at: "", updated_at: "" },
          { id: "tm2", name: "Sales", member_ids: [], connection_ids: [], created_at: "", updated_at: "" },
        ],
        next_cursor: "",
      },
    },
  };

  it("filter by team or the general queue, kept in the URL, and a ticket's card names its team", async () => {
    const billing = conversation({ id: "t1", kind: "ticket", title: "Ana", team_id: "tm1" });
    const general = conversation({ id: "t2", kind: "ticket", title: "Ben" });
    const { calls } = mockApi({
      ...routes((q) => [billing, general].filter((c) => !q.get("team") || (q.get("team") === "none" ? !c.team_id : c.team_id === q.get("team")))),
      ...teams,
    });
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await waitFor(() => expect(titles()).toEqual(["Ana", "Ben"]));
    const ana = screen.getByText("Ana").closest(".card") as HTMLElement;
    await waitFor(() => expect(ana.querySelector(".team-badge")?.textContent).toBe("Billing"));
    expect((screen.getByText("Ben").closest(".card") as HTMLElement).querySelector(".team-badge")).toBeNull();

    const filter = screen.getByLabelText("Team") as HTMLSelectElement;
    expect([...filter.options].map((o) => o.textContent)).toEqual(["All teams", "General queue", "Billing", "Sales"]);
    await userEvent.selectOptions(filter, "Billing");
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    expect(listQueries(calls).pop()!.get("team")).toBe("tm1");
    expect(new URLSearchParams(window.location.search).get("team")).toBe("tm1");
    // The counts beside the list are the team's.
    await waitFor(() => expect(calls.some((c) => c.url.startsWith("/api/v1/workspaces/demo/conversations/counts") && c.url.includes("team=tm1"))).toBe(true));

    await userEvent.selectOptions(filter, "General queue");
    await waitFor(() => expect(titles()).toEqual(["Ben"]));
    expect(listQueries(calls).pop()!.get("team")).toBe("none");
    expect(new URLSearchParams(window.location.search).get("team")).toBe("none");
  });

  it("offer no team filter while there are no teams", async () => {
    mockApi({ ...routes(() => [conversation({ id: "t2", kind: "ticket", title: "Ben" })]), "GET /api/v1/workspaces/demo/teams": { body: { items: [], next_cursor: "" } } });
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await screen.findByText("Ben");
    expect(screen.queryByLabelText("Team")).toBeNull();
  });
});

describe("the Team Inbox's date range", () => {
  it("asks for the tickets last active from one day to another, keeps them in the URL, and clears with the other filters", async () => {
    const { calls } = mockApi(routes(() => [conversation({ id: "t1", kind: "ticket", title: "Ana" })]));
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await waitFor(() => expect(titles()).toEqual(["Ana"]));
    expect(listQueries(calls).pop()!.has("from")).toBe(false);

    fireEvent.change(screen.getByLabelText("Active from"), { target: { value: "2030-01-01" } });
    await waitFor(() => expect(listQueries(calls).pop()!.get("from")).toBe("2030-01-01"));
    fireEvent.change(screen.getByLabelText("Active to"), { target: { value: "2030-01-02" } });
    await waitFor(() => expect(listQueries(calls).pop()!.get("to")).toBe("2030-01-02"));
    const asked = listQueries(calls).pop()!;
    expect([asked.get("kind"), asked.get("from"), asked.get("to")]).toEqual(["ticket", "2030-01-01", "2030-01-02"]);
    expect(window.location.search).toBe("?from=2030-01-01&to=2030-01-02");
    expect((screen.getByLabelText("Active to") as HTMLInputElement).min).toBe("2030-01-01");
  });

  it("is taken from the URL, and a day the server refuses is said under the dates", async () => {
    const { calls } = mockApi({
      ...routes(() => []),
      [`GET ${base}`]: (c: Call) =>
        new URL(c.url, "http://x").searchParams.get("to")
          ? { status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: { to: "must be after from" } } } }
          : { body: { items: [], next_cursor: "" } },
    });
    window.history.replaceState(null, "", "/w/demo/inbox?from=2030-01-05&to=2030-01-01");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    const to = screen.getByLabelText("Active to");
    expect((screen.getByLabelText("Active from") as HTMLInputElement).value).toBe("2030-01-05");
    await waitFor(() => expect(to.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(to.getAttribute("aria-describedby")!)?.textContent).toBe("must be after from");
    expect(listQueries(calls)[0].get("from")).toBe("2030-01-05");

    fireEvent.change(to, { target: { value: "" } });
    await waitFor(() => expect(to.getAttribute("aria-invalid")).toBeNull());
    expect(window.location.search).toBe("?from=2030-01-05");
  });
});

describe("assigning tickets in bulk", () => {
  const members = [
    { id: "m1", user_id: "u1", name: "Mo Manager", email: "mo@x", role: "manager", created_at: "", availability: "online" as const, capacity: null },
    { id: "m2", user_id: "u2", name: "Ana Agent", email: "ana@x", role: "agent", created_at: "", availability: "online" as const, capacity: null },
  ];
  const manager = () => fakeWorkspace({ permissions: MANAGER, role: "manager", connections: null, members });
  const tickets = [
    conversation({ id: "t1", kind: "ticket", state: "queued", title: "Cy" }),
    conversation({ id: "t2", kind: "ticket", state: "queued", title: "Dee" }),
    conversation({ id: "t3", kind: "ticket", state: "queued", title: "Eve" }),
  ];
  const teams = {
    "GET /api/v1/workspaces/demo/teams": {
      body: { items: [{ id: "tm1", name: "Billing", member_ids: ["u2"], connection_ids: [], created_at: "", updated_at: "" }], next_cursor: "" },
    },
  };
  const workloads = { "GET /api/v1/workspaces/demo/workloads": { body: { items: [], next_cursor: "" } } };
  const bar = () => screen.getByRole("region", { name: "Selected tickets" });

  it("hands the tickets picked to a member with a note, then clears the pick and loads the list again", async () => {
    let assigned = false;
    const { calls } = mockApi({
      ...routes(() => (assigned ? tickets.slice(1, 2) : tickets)),
      ...teams,
      ...workloads,
      [`POST ${base}/bulk-assign`]: () => {
        assigned = true;
        return { body: { items: [], next_cursor: "" } };
      },
    });
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, manager());
    await waitFor(() => expect(titles()).toEqual(["Cy", "Dee", "Eve"]));
    expect(within(bar()).queryByRole("button", { name: "Assign to…" })).toBeNull();

    await userEvent.click(screen.getByRole("checkbox", { name: "Select Eve" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Select Cy" }));
    expect(within(bar()).getByRole("status").textContent).toBe("2 selected");
    // Some picked: the box that picks them all is neither on nor off.
    expect((within(bar()).getByRole("checkbox", { name: "Select all on this page" }) as HTMLInputElement).indeterminate).toBe(true);
    await userEvent.click(within(bar()).getByRole("button", { name: "Assign to…" }));
    const dialog = await screen.findByRole("dialog", { name: "Assign 2 tickets" });
    // Members only: the queues have their own buttons.
    expect(within(dialog).queryByRole("radio", { name: /queue/ })).toBeNull();
    await userEvent.click(within(dialog).getByRole("radio", { name: /Ana Agent/ }));
    await userEvent.type(within(dialog).getByLabelText(/Transfer note/), "refunds");
    await userEvent.click(within(dialog).getByRole("button", { name: "Assign" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    // In the list's order, the team left as it is.
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ conversation_ids: ["t1", "t3"], assignee_id: "u2", note: "refunds" }]);
    await waitFor(() => expect(titles()).toEqual(["Dee"]));
    expect(within(bar()).queryByRole("status")).toBeNull();
    expect(screen.getByRole("checkbox", { name: "Select Dee" })).toHaveProperty("checked", false);
  });

  it("picks every ticket on the page, sends them back to the queue or into a team's, and says which one the server refused", async () => {
    const { calls } = mockApi({
      ...routes(() => tickets),
      ...teams,
      [`POST ${base}/bulk-assign`]: (c) =>
        (c.body as { team_id?: string }).team_id === undefined
          ? { status: 404, body: { error: { code: "not_found", message: "conversation not found", fields: { "conversation_ids[1]": "conversation not found" } } } }
          : { body: { items: [], next_cursor: "" } },
    });
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, manager());
    await waitFor(() => expect(titles()).toEqual(["Cy", "Dee", "Eve"]));
    await userEvent.click(within(bar()).getByRole("checkbox", { name: "Select all on this page" }));
    expect(within(bar()).getByRole("status").textContent).toBe("3 selected");

    await userEvent.click(within(bar()).getByRole("button", { name: "Back to queue" }));
    await within(bar()).findByText("Dee: conversation not found");
    expect(within(bar()).getByRole("alert").textContent).toBe("conversation not found");
    // Nothing changed: the pick stays, to try again.
    expect(within(bar()).getByRole("status").textContent).toBe("3 selected");

    await userEvent.click(await within(bar()).findByRole("button", { name: "To team…" }));
    const dialog = await screen.findByRole("dialog", { name: "Move 3 tickets to a queue" });
    expect(within(dialog).getAllByRole("radio").map((r) => r.closest("label")?.textContent)).toEqual([
      "General queueanyone may accept it",
      "Billing team queueits 1 member may accept it",
    ]);
    await userEvent.click(within(dialog).getByRole("radio", { name: /Billing team queue/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Move" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { conversation_ids: ["t1", "t2", "t3"], assignee_id: null },
      { conversation_ids: ["t1", "t2", "t3"], assignee_id: null, team_id: "tm1" },
    ]);
    await waitFor(() => expect(within(bar()).queryByRole("status")).toBeNull());
  });

  it("offers no boxes to an agent", async () => {
    mockApi(routes(() => tickets));
    window.history.replaceState(null, "", "/w/demo/inbox");
    renderInWorkspace(<InboxView />, fakeWorkspace({ permissions: AGENT, role: "agent", connections: null }));
    await waitFor(() => expect(titles()).toEqual(["Cy", "Dee", "Eve"]));
    expect(screen.queryByRole("checkbox")).toBeNull();
    expect(screen.queryByRole("region", { name: "Selected tickets" })).toBeNull();
  });
});
