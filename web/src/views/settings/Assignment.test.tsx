import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AssignmentSettings, Member } from "../../api/types";
import { mockApi } from "../../test/fakes";
import { AGENT, fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { Assignment } from "./Assignment";
import { Settings } from "./Settings";

const PATH = "/api/v1/workspaces/demo/assignment";
// The page's auto-close and SLA sections load their own rules (AutoClose.test.tsx, SlaTargets.test.tsx).
const belowSections = {
  "GET /api/v1/workspaces/demo/auto-close": { body: { resolve_after_minutes: 0, abandon_after_minutes: 0, updated_at: "0001-01-01T00:00:00Z" } },
  "GET /api/v1/workspaces/demo/sla": {
    body: { first_response_minutes: 0, next_response_minutes: 0, resolution_minutes: 0, business_hours: false, updated_at: "0001-01-01T00:00:00Z" },
  },
};

const member = (p: Partial<Member>): Member => ({
  id: "m1", user_id: "u1", name: "", email: "", role: "agent", created_at: "", availability: "online", capacity: null, ...p,
});

const members = [
  member({ id: "m1", user_id: "u1", name: "Mo Manager", email: "mo@x", role: "manager" }),
  member({ id: "m2", user_id: "u2", name: "Ana Agent", email: "ana@x", role: "agent" }),
  member({ id: "m3", user_id: "u3", name: "Ada Admin", email: "ada@x", role: "admin" }),
  member({ id: "m4", user_id: "u4", name: "Val Viewer", email: "val@x", role: "viewer" }),
];

const manager = () => fakeWorkspace({ permissions: MANAGER, role: "manager", members });

const settings = (p: Partial<AssignmentSettings> = {}): AssignmentSettings => ({ mode: "queue", assignee_id: null, capacity: 5, updated_at: "2030-01-01T00:00:00Z", ...p });

/** The queue's rules' Save: the auto-close and SLA sections below have their own. */
const saveRules = () => within(screen.getByRole("form", { name: "Assignment" })).getByRole("button", { name: "Save" });

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Assignment", () => {
  it("is there for managers and admins, not for agents", () => {
    mockApi({ ...belowSections, [`GET ${PATH}`]: { body: settings() } });
    const m = renderInWorkspace(<Settings section="assignment" />, manager());
    expect(within(screen.getByRole("navigation", { name: "Settings" })).getByRole("link", { name: "Assignment" }).getAttribute("aria-current")).toBe("page");
    m.unmount();
    renderInWorkspace(<Settings section="assignment" />, fakeWorkspace({ permissions: AGENT, role: "agent", members }));
    expect(within(screen.getByRole("navigation", { name: "Settings" })).queryByRole("link", { name: "Assignment" })).toBeNull();
  });

  it("explains each mode, and turns on round robin with a capacity", async () => {
    const { calls } = mockApi({
      ...belowSections,
      [`GET ${PATH}`]: { body: settings() },
      [`PUT ${PATH}`]: (c) => ({ body: { ...(c.body as object), updated_at: "2030-01-02T00:00:00Z" } }),
    });
    renderInWorkspace(<Assignment />, manager());
    const queue = (await screen.findByRole("radio", { name: "Queue" })) as HTMLInputElement;
    expect(queue.checked).toBe(true);
    expect(document.getElementById(queue.getAttribute("aria-describedby")!)?.textContent).toBe("New tickets wait in the queue until a member accepts one.");
    const roundRobin = screen.getByRole("radio", { name: "Round robin" });
    expect(document.getElementById(roundRobin.getAttribute("aria-describedby")!)?.textContent).toContain("to a member who is online, in turn");
    // Only round robin has a capacity.
    expect(screen.queryByLabelText("Active tickets per member")).toBeNull();

    await userEvent.click(roundRobin);
    const capacity = screen.getByLabelText("Active tickets per member") as HTMLInputElement;
    expect(capacity.value).toBe("5");
    await userEvent.clear(capacity);
    await userEvent.type(capacity, "3");
    await userEvent.click(saveRules());
    await screen.findByText("Saved. The tickets waiting in the queue go by it too.");
    expect(calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ mode: "round_robin", assignee_id: null, capacity: 3 }]);
    expect((screen.getByRole("radio", { name: "Round robin" }) as HTMLInputElement).checked).toBe(true);
  });

  it("hands every ticket to one member chosen among those who may reply", async () => {
    const { calls } = mockApi({
      ...belowSections,
      [`GET ${PATH}`]: { body: settings({ capacity: 0 }) },
      [`PUT ${PATH}`]: (c) => ({ body: { ...(c.body as object), updated_at: "2030-01-02T00:00:00Z" } }),
    });
    renderInWorkspace(<Assignment />, manager());
    await userEvent.click(await screen.findByRole("radio", { name: "One member" }));
    const pick = screen.getByLabelText("Member") as HTMLSelectElement;
    // Viewers cannot reply to tickets: not offered.
    expect([...pick.options].map((o) => o.textContent)).toEqual(["Choose a member", "Mo Manager (you) · manager", "Ana Agent · agent", "Ada Admin · admin"]);
    await userEvent.selectOptions(pick, "u2");
    await userEvent.click(saveRules());
    await screen.findByText("Saved. The tickets waiting in the queue go by it too.");
    expect(calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ mode: "member", assignee_id: "u2", capacity: 0 }]);
    expect((screen.getByLabelText("Member") as HTMLSelectElement).value).toBe("u2");
  });

  it("shows the server's refusals under the fields they are about", async () => {
    const refusals = [
      { assignee_id: "is required with mode member" },
      { capacity: "must be from 0 (no limit) to 1000" },
      { mode: "must be queue, round_robin or member" },
    ];
    const { calls } = mockApi({
      ...belowSections,
      [`GET ${PATH}`]: { body: settings() },
      [`PUT ${PATH}`]: () => ({ status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: refusals.shift() } } }),
    });
    renderInWorkspace(<Assignment />, manager());
    await userEvent.click(await screen.findByRole("radio", { name: "One member" }));
    await userEvent.click(saveRules());
    const pick = screen.getByLabelText("Member");
    await waitFor(() => expect(pick.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(pick.getAttribute("aria-describedby")!.split(" ").pop()!)?.textContent).toBe("is required with mode member");

    await userEvent.click(screen.getByRole("radio", { name: "Round robin" }));
    await userEvent.click(saveRules());
    const capacity = screen.getByLabelText("Active tickets per member");
    await waitFor(() => expect(capacity.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(capacity.getAttribute("aria-describedby")!.split(" ").pop()!)?.textContent).toBe("must be from 0 (no limit) to 1000");

    await userEvent.click(saveRules());
    const modes = screen.getByRole("group", { name: "New tickets" });
    await within(modes).findByText("must be queue, round_robin or member");
    expect(modes.getAttribute("aria-describedby")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PUT")).toHaveLength(3);
  });

  it("refuses a capacity that is not a whole number before asking the server", async () => {
    const { calls } = mockApi({ ...belowSections, [`GET ${PATH}`]: { body: settings({ mode: "round_robin" }) } });
    renderInWorkspace(<Assignment />, manager());
    const capacity = await screen.findByLabelText("Active tickets per member");
    await userEvent.clear(capacity);
    await userEvent.click(saveRules());
    await waitFor(() => expect(capacity.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("must be a whole number from 0 (no limit) to 1000")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PUT")).toEqual([]);
  });
});
