import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Member, Team } from "../../api/types";
import { mockApi } from "../../test/fakes";
import { AGENT, connection, fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { Settings } from "./Settings";
import { Teams } from "./Teams";

const LIST = "GET /api/v1/workspaces/demo/teams";
const CREATE = "POST /api/v1/workspaces/demo/teams";

const member = (p: Partial<Member>): Member => ({
  id: "m1", user_id: "u1", name: "", email: "", role: "agent", created_at: "", availability: "online", capacity: null, ...p,
});
const members = [
  member({ id: "m1", user_id: "u1", name: "Ada Admin", email: "ada@x", role: "admin" }),
  member({ id: "m2", user_id: "u2", name: "Ana Agent", email: "ana@x", role: "agent" }),
  member({ id: "m3", user_id: "u3", name: "Ben Agent", email: "ben@x", role: "agent" }),
  member({ id: "m4", user_id: "u4", name: "Val Viewer", email: "val@x", role: "viewer" }),
];
const connections = [
  connection({ id: "conn1", display_name: "Support line", address: "+15550000001" }),
  connection({ id: "conn2", display_name: "Billing line", address: "+15550000002" }),
  connection({ id: "conn3", display_name: "Sales line", address: "+15550000003" }),
];
const team = (p: Partial<Team>): Team => ({
  id: "t1", name: "Billing", member_ids: [], connection_ids: [], created_at: "2030-01-01T00:00:00Z", updated_at: "2030-01-01T00:00:00Z", ...p,
});

const admin = () => fakeWorkspace({ members, connections });
const manager = () => fakeWorkspace({ permissions: MANAGER, role: "manager", members, connections: null });
const rows = () => screen.getAllByRole("row").slice(1).map((tr) => within(tr).getAllByRole("cell").slice(0, 3).map((td) => td.textContent));

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Teams", () => {
  it("is a section for managers and admins, not for agents", () => {
    mockApi({ [LIST]: { body: { items: [], next_cursor: "" } } });
    const m = renderInWorkspace(<Settings section="teams" />, manager());
    expect(within(screen.getByRole("navigation", { name: "Settings" })).getByRole("link", { name: "Teams" }).getAttribute("aria-current")).toBe("page");
    m.unmount();
    renderInWorkspace(<Settings section="teams" />, fakeWorkspace({ permissions: AGENT, role: "agent", members }));
    expect(within(screen.getByRole("navigation", { name: "Settings" })).queryByRole("link", { name: "Teams" })).toBeNull();
  });

  it("lists the teams with their members and connections", async () => {
    mockApi({
      [LIST]: {
        body: { items: [team({ id: "t1", name: "Billing", member_ids: ["u2", "u3"], connection_ids: ["conn2"] }), team({ id: "t2", name: "Sales" })], next_cursor: "" },
      },
    });
    renderInWorkspace(<Teams />, admin());
    await screen.findByText("Billing");
    expect(rows()).toEqual([
      ["Billing", "Ana Agent, Ben Agent", "Billing line"],
      ["Sales", "None", "None"],
    ]);
  });

  it("says there are none yet", async () => {
    mockApi({ [LIST]: { body: { items: [], next_cursor: "" } } });
    renderInWorkspace(<Teams />, admin());
    expect(await screen.findByText("No teams yet")).toBeTruthy();
  });

  it("adds one with its members, among those who hold tickets, and its connections, another team's not to be picked", async () => {
    let items = [team({ id: "t2", name: "Sales", connection_ids: ["conn3"] })];
    const { calls } = mockApi({
      [LIST]: () => ({ body: { items, next_cursor: "" } }),
      [CREATE]: (c) => {
        const made = team({ id: "t1", ...(c.body as object) });
        items = [made, ...items];
        return { status: 201, body: made };
      },
    });
    renderInWorkspace(<Teams />, admin());
    await userEvent.click(await screen.findByRole("button", { name: "Add team" }));
    const dialog = screen.getByRole("dialog", { name: "Add a team" });
    await userEvent.type(within(dialog).getByLabelText("Name"), "Billing");

    const people = within(dialog).getByRole("group", { name: "Members" });
    // Viewers do not hold tickets: not offered.
    expect(within(people).getAllByRole("checkbox").map((b) => b.closest("label")?.textContent)).toEqual([
      "Ada Admin (you) · admin",
      "Ana Agent · agent",
      "Ben Agent · agent",
    ]);
    await userEvent.click(within(people).getByRole("checkbox", { name: /Ben Agent/ }));
    await userEvent.click(within(people).getByRole("checkbox", { name: /Ana Agent/ }));

    const lines = within(dialog).getByRole("group", { name: "Connections" });
    const sales = within(lines).getByRole("checkbox", { name: /Sales line/ });
    expect(sales).toHaveProperty("disabled", true);
    expect(sales.closest("label")?.textContent).toContain("in Sales");
    await userEvent.click(within(lines).getByRole("checkbox", { name: /Billing line/ }));

    await userEvent.click(within(dialog).getByRole("button", { name: "Add" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ name: "Billing", member_ids: ["u3", "u2"], connection_ids: ["conn2"] });
    await waitFor(() => expect(rows()[0]).toEqual(["Billing", "Ben Agent, Ana Agent", "Billing line"]));
  });

  it("shows a name taken beside Name, and a connection refused beside the connections, naming it", async () => {
    const refusals = [
      { status: 409, body: { error: { code: "team_name_taken", message: "another team has this name", fields: { name: "is taken by another team" } } } },
      { status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: { "connection_ids[0]": "is in another team" } } } },
    ];
    const { calls } = mockApi({
      [LIST]: { body: { items: [team({ id: "t2", name: "Sales" })], next_cursor: "" } },
      [CREATE]: () => refusals.shift()!,
    });
    renderInWorkspace(<Teams />, admin());
    await userEvent.click(await screen.findByRole("button", { name: "Add team" }));
    const dialog = screen.getByRole("dialog", { name: "Add a team" });
    await userEvent.type(within(dialog).getByLabelText("Name"), "sales");
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /Support line/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Add" }));

    const name = within(dialog).getByLabelText("Name");
    await waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
    expect(name.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)?.textContent)).toContain("is taken by another team");
    expect(within(dialog).getByRole("alert").textContent).toBe("another team has this name");

    await userEvent.clear(name);
    await userEvent.type(name, "Support");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add" }));
    const lines = within(dialog).getByRole("group", { name: "Connections" });
    await within(lines).findByText("Support line · +15550000001: is in another team");
    expect(lines.getAttribute("aria-describedby")).toContain(within(lines).getByText(/is in another team/).id);
    expect(name.getAttribute("aria-invalid")).toBeNull();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(2);
    expect(screen.getByRole("dialog", { name: "Add a team" })).toBeTruthy();
  });

  it("lets a manager, who does not see the connections, rename a team and change its members, its connections left as they are", async () => {
    const billing = team({ id: "t1", name: "Billing", member_ids: ["u2"], connection_ids: ["conn2", "conn3"] });
    const { calls } = mockApi({
      [LIST]: { body: { items: [billing], next_cursor: "" } },
      "PATCH /api/v1/workspaces/demo/teams/t1": (c) => ({ body: { ...billing, ...(c.body as object) } }),
    });
    renderInWorkspace(<Teams />, manager());
    await screen.findByText("Billing");
    expect(rows()).toEqual([["Billing", "Ana Agent", "2 connections"]]);
    await userEvent.click(screen.getByRole("button", { name: "Edit Billing" }));
    const dialog = screen.getByRole("dialog", { name: "Edit Billing" });
    expect(within(dialog).queryByRole("group", { name: "Connections" })).toBeNull();
    expect(within(dialog).getByText("Admins choose the connections whose new tickets go to a team's queue.")).toBeTruthy();
    expect(within(dialog).getByRole("checkbox", { name: /Ana Agent/ })).toHaveProperty("checked", true);
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /Ben Agent/ }));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "Billing & refunds");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ name: "Billing & refunds", member_ids: ["u2", "u3"] });
  });

  it("deletes a team after saying where its tickets go, and not when kept", async () => {
    let items = [team({ id: "t1", name: "Billing" }), team({ id: "t2", name: "Sales" })];
    const { calls } = mockApi({
      [LIST]: () => ({ body: { items, next_cursor: "" } }),
      "DELETE /api/v1/workspaces/demo/teams/t1": () => {
        items = items.filter((t) => t.id !== "t1");
        return { status: 204 };
      },
    });
    renderInWorkspace(<Teams />, admin());
    await userEvent.click(await screen.findByRole("button", { name: "Delete Billing" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Delete Billing?" })).getByRole("button", { name: "Keep" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    await userEvent.click(screen.getByRole("button", { name: "Delete Billing" }));
    const ask = screen.getByRole("dialog", { name: "Delete Billing?" });
    expect(ask.textContent).toContain("Its tickets go to the general queue");
    await userEvent.click(within(ask).getByRole("button", { name: "Delete team" }));
    await waitFor(() => expect(rows()).toEqual([["Sales", "None", "None"]]));
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/workspaces/demo/teams/t1"]);
  });
});
