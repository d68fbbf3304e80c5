import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Conversation } from "../api/types";
import { conversation, mockApi } from "../test/fakes";
import { AGENT, VIEWER, fakeWorkspace, renderInWorkspace } from "../test/workspace";
import { ConversationPane } from "./ConversationPane";

afterEach(() => vi.unstubAllGlobals());

const base = "/api/v1/workspaces/demo/conversations";
const inUse = {
  tags: [
    { name: "VIP", conversations: 12 },
    { name: "billing", conversations: 4 },
    { name: "shipping", conversations: 1 },
  ],
  labels: [
    { name: "Escalated", conversations: 3 },
    { name: "Follow-up", conversations: 0 },
    { name: "Bug", conversations: 0 },
    { name: "Feature request", conversations: 0 },
  ],
};

function chips(kind: "Labels" | "Tags"): string[] {
  return within(screen.getByRole("list", { name: kind }))
    .queryAllByRole("listitem")
    .map((li) => li.querySelector(".tag-name")!.textContent ?? "");
}

function patches(calls: { method: string; body: unknown }[]) {
  return calls.filter((c) => c.method === "PATCH").map((c) => c.body);
}

describe("a conversation's tags", () => {
  it("adds a suggested tag and a typed one, each saving the whole set and showing what the server answered", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", tags: ["billing"] });
    let saved: Conversation = ticket;
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
      "GET /api/v1/workspaces/demo/conversation-tags": { body: inUse },
      // The server keeps each list by name.
      [`PATCH ${base}/t1`]: (c) => {
        const tags = [...((c.body as { tags: string[] }).tags ?? [])].sort((a, b) => a.localeCompare(b));
        saved = { ...saved, tags };
        return { body: saved };
      },
    });
    const onChanged = vi.fn();
    renderInWorkspace(<ConversationPane id="t1" onChanged={onChanged} />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    await screen.findByRole("group", { name: "Labels and tags" });
    expect(chips("Tags")).toEqual(["billing"]);

    // Most used first, without the one the conversation carries.
    const box = screen.getByRole("combobox", { name: "Add tag" });
    await userEvent.click(box);
    const offered = await screen.findByRole("listbox", { name: "Tags in use" });
    expect(within(offered).getAllByRole("option").map((o) => o.textContent)).toEqual(["VIP", "shipping"]);
    await userEvent.type(box, "v");
    await userEvent.click(within(screen.getByRole("listbox", { name: "Tags in use" })).getByRole("option", { name: "VIP" }));
    await waitFor(() => expect(chips("Tags")).toEqual(["billing", "VIP"]));
    expect(patches(calls)).toEqual([{ tags: ["billing", "VIP"] }]);
    expect(onChanged).toHaveBeenLastCalledWith(expect.objectContaining({ id: "t1", tags: ["billing", "VIP"] }));
    expect((box as HTMLInputElement).value).toBe("");

    await userEvent.type(box, "  Refund   due {Enter}");
    await waitFor(() => expect(chips("Tags")).toEqual(["billing", "Refund due", "VIP"]));
    expect(patches(calls)[1]).toEqual({ tags: ["billing", "VIP", "Refund due"] });

    // One the conversation carries already, in another case: nothing to save.
    await userEvent.type(box, "BILLING{Enter}");
    expect((box as HTMLInputElement).value).toBe("");
    expect(patches(calls)).toHaveLength(2);
  });

  it("takes a label off with the × on its chip, sending the labels without it", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", labels: ["Bug", "Escalated"], tags: ["VIP"] });
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
      [`PATCH ${base}/t1`]: (c) => ({ body: { ...ticket, ...(c.body as object) } }),
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    await screen.findByRole("group", { name: "Labels and tags" });
    expect(chips("Labels")).toEqual(["Bug", "Escalated"]);
    await userEvent.click(screen.getByRole("button", { name: "Remove label Bug" }));
    await waitFor(() => expect(chips("Labels")).toEqual(["Escalated"]));
    expect(patches(calls)).toEqual([{ labels: ["Escalated"] }]);
    expect(chips("Tags")).toEqual(["VIP"]);
  });

  it("offers the team's labels with the usual ones, and adds the one picked with the keyboard", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", labels: ["Escalated"] });
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
      "GET /api/v1/workspaces/demo/conversation-tags": { body: inUse },
      [`PATCH ${base}/t1`]: (c) => ({ body: { ...ticket, ...(c.body as object) } }),
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    const box = await screen.findByRole("combobox", { name: "Add label" });
    await userEvent.click(box);
    const offered = await screen.findByRole("listbox", { name: "Labels in use" });
    expect(within(offered).getAllByRole("option").map((o) => o.textContent)).toEqual(["Follow-up", "Bug", "Feature request"]);
    await userEvent.type(box, "u");
    await userEvent.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    await waitFor(() => expect(chips("Labels")).toEqual(["Escalated", "Bug"]));
    expect(patches(calls)).toEqual([{ labels: ["Escalated", "Bug"] }]);
  });

  it("shows the server's refusal by the name refused, and keeps what was typed", async () => {
    const ticket = conversation({ id: "t1", kind: "ticket", tags: ["billing"] });
    const long = "a tag far too long to be kept by the server at all";
    mockApi({
      [`GET ${base}/t1`]: { body: ticket },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
      [`PATCH ${base}/t1`]: {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { "tags[1]": "must be at most 40 characters" } } },
      },
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    const box = (await screen.findByRole("combobox", { name: "Add tag" })) as HTMLInputElement;
    await userEvent.type(box, `${long}{Enter}`);
    const bar = screen.getByRole("group", { name: "Labels and tags" });
    expect((await within(bar).findByRole("alert")).textContent).toBe(`${long}: must be at most 40 characters`);
    expect(box.value).toBe(long);
    expect(chips("Tags")).toEqual(["billing"]);
  });

  it("are shown to a viewer without a way to change them", async () => {
    const { calls } = mockApi({
      [`GET ${base}/t1`]: { body: conversation({ id: "t1", kind: "ticket", labels: ["Follow-up"], tags: ["VIP", "billing"] }) },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: VIEWER, role: "viewer" }));
    await screen.findByRole("group", { name: "Labels and tags" });
    expect(chips("Labels")).toEqual(["Follow-up"]);
    expect(chips("Tags")).toEqual(["VIP", "billing"]);
    expect(screen.queryByRole("button", { name: /^Remove / })).toBeNull();
    expect(screen.queryByRole("combobox", { name: /^Add / })).toBeNull();
    expect(calls.filter((c) => c.method !== "GET")).toEqual([]);
  });

  it("take no room for a viewer when there are none", async () => {
    mockApi({
      [`GET ${base}/t1`]: { body: conversation({ id: "t1", kind: "ticket", title: "Quiet one" }) },
      [`GET ${base}/t1/messages`]: { body: { items: [], next_cursor: "" } },
    });
    renderInWorkspace(<ConversationPane id="t1" />, fakeWorkspace({ permissions: VIEWER, role: "viewer" }));
    await screen.findByRole("heading", { name: "Quiet one" });
    expect(screen.queryByRole("group", { name: "Labels and tags" })).toBeNull();
  });
});
