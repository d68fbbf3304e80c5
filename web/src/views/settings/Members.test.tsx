import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Member } from "../../api/types";
import { mockApi } from "../../test/fakes";
import { fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { Members } from "./Members";

const member = (p: Partial<Member>): Member => ({
  id: "m1", user_id: "u1", name: "", email: "", role: "agent", created_at: "2030-01-01T00:00:00Z", availability: "online", capacity: null, ...p,
});

const members = [
  member({ id: "m1", user_id: "u1", name: "Mo Manager", email: "mo@x", role: "manager", availability: "online", capacity: null }),
  member({ id: "m2", user_id: "u2", name: "Ana Agent", email: "ana@x", role: "agent", availability: "busy", capacity: 3 }),
  member({ id: "m3", user_id: "u3", name: "Ben Agent", email: "ben@x", role: "agent", availability: "offline", capacity: 0 }),
  member({ id: "m4", user_id: "u4", name: "Val Viewer", email: "val@x", role: "viewer", availability: "online", capacity: null }),
];

const ASSIGNMENT = "GET /api/v1/workspaces/demo/assignment";
const capacityPath = (id: string) => `PUT /api/v1/workspaces/demo/members/${id}/capacity`;

const row = (name: string) => screen.getByRole("cell", { name }).closest("tr") as HTMLElement;
const cells = (name: string) => within(row(name)).getAllByRole("cell").map((c) => c.textContent?.trim());

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Members: availability and capacity", () => {
  it("shows each ticket holder's availability, and their capacity read-only without conversations:assign", () => {
    const readOnly = MANAGER.filter((p) => p !== "conversations:assign");
    renderInWorkspace(<Members />, fakeWorkspace({ permissions: readOnly, role: "manager", members }));
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Name", "Email", "Role", "Availability", "Capacity", "Since"]);
    expect(cells("Mo Manager").slice(3, 5)).toEqual(["online", "Default"]);
    expect(cells("Ana Agent").slice(3, 5)).toEqual(["busy", "3"]);
    expect(cells("Ben Agent").slice(3, 5)).toEqual(["offline", "No limit"]);
    // A viewer holds no tickets.
    expect(cells("Val Viewer").slice(3, 5)).toEqual(["—", "—"]);
    expect(screen.queryByRole("textbox", { name: /Capacity of/ })).toBeNull();
  });

  it("saves a capacity on Enter, and the workspace's default when emptied on leaving the box", async () => {
    const reloadMembers = vi.fn(async () => undefined);
    const { calls } = mockApi({
      [ASSIGNMENT]: { body: { mode: "round_robin", assignee_id: null, capacity: 5, updated_at: "" } },
      [capacityPath("m1")]: (c) => ({ body: { ...members[0], ...(c.body as object) } }),
      [capacityPath("m2")]: (c) => ({ body: { ...members[1], ...(c.body as object) } }),
    });
    renderInWorkspace(<Members />, fakeWorkspace({ permissions: MANAGER, role: "manager", members, reloadMembers }));
    expect(await screen.findByText(/Empty takes the default set under Assignment \(now 5\)/)).toBeTruthy();
    expect(screen.queryByRole("textbox", { name: "Capacity of Val Viewer" })).toBeNull();

    const mo = screen.getByRole("textbox", { name: "Capacity of Mo Manager" }) as HTMLInputElement;
    expect(mo.value).toBe("");
    expect(mo.placeholder).toBe("Default");
    await userEvent.type(mo, "4{Enter}");
    await within(row("Mo Manager")).findByRole("status");
    expect(mo.value).toBe("4");

    const ana = screen.getByRole("textbox", { name: "Capacity of Ana Agent" }) as HTMLInputElement;
    expect(ana.value).toBe("3");
    await userEvent.clear(ana);
    await userEvent.tab();
    await waitFor(() => expect(calls.filter((c) => c.method === "PUT")).toHaveLength(2));
    // Leaving a box unchanged sends nothing.
    await userEvent.click(screen.getByRole("textbox", { name: "Capacity of Ben Agent" }));
    await userEvent.tab();

    expect(calls.filter((c) => c.method === "PUT").map((c) => [c.url, c.body])).toEqual([
      ["/api/v1/workspaces/demo/members/m1/capacity", { capacity: 4 }],
      ["/api/v1/workspaces/demo/members/m2/capacity", { capacity: null }],
    ]);
    await waitFor(() => expect(reloadMembers).toHaveBeenCalledTimes(2));
  });

  it("shows a refusal under the box, and does not send what is not a whole number", async () => {
    const { calls } = mockApi({
      [ASSIGNMENT]: { body: { mode: "queue", assignee_id: null, capacity: 0, updated_at: "" } },
      [capacityPath("m2")]: { status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: { capacity: "must be from 0 (no limit) to 1000, or null for the workspace's" } } } },
    });
    renderInWorkspace(<Members />, fakeWorkspace({ permissions: MANAGER, role: "manager", members }));
    expect(await screen.findByText(/\(now no limit\)/)).toBeTruthy();
    const ana = screen.getByRole("textbox", { name: "Capacity of Ana Agent" });
    await userEvent.clear(ana);
    await userEvent.type(ana, "two{Enter}");
    await waitFor(() => expect(ana.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(ana.getAttribute("aria-describedby")!)?.textContent).toBe("must be a whole number from 0 (no limit) to 1000");
    expect(calls.filter((c) => c.method === "PUT")).toEqual([]);

    await userEvent.clear(ana);
    await userEvent.type(ana, "2000{Enter}");
    await waitFor(() => expect(document.getElementById(ana.getAttribute("aria-describedby")!)?.textContent).toBe("must be a whole number from 0 (no limit) to 1000"));

    // The server's own refusal, for a value the page let through.
    await userEvent.clear(ana);
    await userEvent.type(ana, "7{Enter}");
    await waitFor(() =>
      expect(document.getElementById(ana.getAttribute("aria-describedby")!)?.textContent).toBe("must be from 0 (no limit) to 1000, or null for the workspace's"),
    );
    expect(calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ capacity: 7 }]);
  });
});
