import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversation, mockApi, type Call } from "../test/fakes";
import { AGENT, fakeWorkspace, liveWorkspace, renderInWorkspace } from "../test/workspace";
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
