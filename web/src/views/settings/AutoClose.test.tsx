import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AutoClose as AutoCloseRules } from "../../api/types";
import { mockApi } from "../../test/fakes";
import { AGENT, fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { Assignment } from "./Assignment";
import { AutoClose } from "./AutoClose";

const PATH = "/api/v1/workspaces/demo/auto-close";

const rules = (p: Partial<AutoCloseRules> = {}): AutoCloseRules => ({ resolve_after_minutes: 0, abandon_after_minutes: 0, updated_at: "2030-01-01T00:00:00Z", ...p });

const manager = () => fakeWorkspace({ permissions: MANAGER, role: "manager" });

/** A rule's controls: its group (legend), number (absent with Never) and unit. */
function rule(name: string) {
  const group = screen.getByRole("group", { name });
  return {
    group,
    amount: () => within(group).queryByRole("spinbutton") as HTMLInputElement | null,
    unit: () => within(group).getByRole("combobox", { name: "Unit" }) as HTMLSelectElement,
  };
}

const RESOLVE = "Resolve idle tickets after";
const ABANDON = "Close queued tickets as abandoned after";

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Assignment → Auto-close", () => {
  it("sits below the queue's rules, and says what idle is and what becomes of each ticket closed", async () => {
    mockApi({
      "GET /api/v1/workspaces/demo/assignment": { body: { mode: "queue", assignee_id: null, capacity: 0, updated_at: "2030-01-01T00:00:00Z" } },
      [`GET ${PATH}`]: { body: rules() },
      "GET /api/v1/workspaces/demo/sla": {
        body: { first_response_minutes: 0, next_response_minutes: 0, resolution_minutes: 0, business_hours: false, updated_at: "2030-01-01T00:00:00Z" },
      },
    });
    renderInWorkspace(<Assignment />, manager());
    const section = await screen.findByRole("region", { name: "Auto-close" });
    await within(section).findByRole("group", { name: RESOLVE });
    const queueRules = await screen.findByRole("form", { name: "Assignment" });
    expect(queueRules.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(section.textContent).toContain("no message comes or goes, either way");
    expect(section.textContent).toContain("accepting, transferring or reopening it starts its idle time afresh");
    const describedBy = (name: string) =>
      rule(name)
        .group.getAttribute("aria-describedby")!
        .split(" ")
        .map((id) => document.getElementById(id)?.textContent)
        .join(" ");
    expect(describedBy(RESOLVE)).toContain("stays with its member: the customer's next message goes back to them");
    expect(describedBy(ABANDON)).toContain("the customer's next message puts it back there");
  });

  it("shows each stored time in the largest whole unit, and never as Never without a number", async () => {
    mockApi({ [`GET ${PATH}`]: { body: rules({ resolve_after_minutes: 3 * 24 * 60, abandon_after_minutes: 90 }) } });
    const r = renderInWorkspace(<AutoClose />, manager());
    await screen.findByRole("group", { name: RESOLVE });
    expect([rule(RESOLVE).amount()?.value, rule(RESOLVE).unit().value]).toEqual(["3", "days"]);
    expect([rule(ABANDON).amount()?.value, rule(ABANDON).unit().value]).toEqual(["90", "minutes"]);
    expect([...rule(RESOLVE).unit().options].map((o) => o.textContent)).toEqual(["Never", "minutes", "hours", "days"]);
    r.unmount();

    mockApi({ [`GET ${PATH}`]: { body: rules({ resolve_after_minutes: 120, abandon_after_minutes: 0 }) } });
    renderInWorkspace(<AutoClose />, manager());
    await screen.findByRole("group", { name: RESOLVE });
    expect([rule(RESOLVE).amount()?.value, rule(RESOLVE).unit().value]).toEqual(["2", "hours"]);
    expect(rule(ABANDON).unit().value).toBe("none");
    expect(rule(ABANDON).amount()).toBeNull();
  });

  it("saves each time in minutes, Never as 0, and starts again from what the server stored", async () => {
    const { calls } = mockApi({
      [`GET ${PATH}`]: { body: rules({ resolve_after_minutes: 60 }) },
      [`PUT ${PATH}`]: (c) => ({ body: { ...(c.body as object), updated_at: "2030-01-02T00:00:00Z" } }),
    });
    renderInWorkspace(<AutoClose />, manager());
    await screen.findByRole("group", { name: RESOLVE });

    // Resolve after 2 days rather than 1 hour.
    await userEvent.clear(rule(RESOLVE).amount()!);
    await userEvent.type(rule(RESOLVE).amount()!, "2");
    await userEvent.selectOptions(rule(RESOLVE).unit(), "days");
    // Abandon after 4 hours rather than never: the number appears with a unit.
    await userEvent.selectOptions(rule(ABANDON).unit(), "hours");
    await userEvent.type(rule(ABANDON).amount()!, "4");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved. The rules are applied every minute, to tickets already idle too.");
    expect(calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ resolve_after_minutes: 2880, abandon_after_minutes: 240 }]);
    expect([rule(RESOLVE).amount()?.value, rule(RESOLVE).unit().value]).toEqual(["2", "days"]);
    expect([rule(ABANDON).amount()?.value, rule(ABANDON).unit().value]).toEqual(["4", "hours"]);

    // Back to never resolving.
    await userEvent.selectOptions(rule(RESOLVE).unit(), "Never");
    expect(rule(RESOLVE).amount()).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PUT")).toHaveLength(2));
    expect(calls.filter((c) => c.method === "PUT")[1].body).toEqual({ resolve_after_minutes: 0, abandon_after_minutes: 240 });
  });

  it("shows the server's refusal under the time it is about", async () => {
    mockApi({
      [`GET ${PATH}`]: { body: rules({ resolve_after_minutes: 60, abandon_after_minutes: 30 }) },
      [`PUT ${PATH}`]: {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { abandon_after_minutes: "must be from 0 (never) to 129600 (90 days)" } } },
      },
    });
    renderInWorkspace(<AutoClose />, manager());
    await screen.findByRole("group", { name: ABANDON });
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    const abandon = rule(ABANDON);
    await waitFor(() => expect(abandon.amount()?.getAttribute("aria-invalid")).toBe("true"));
    const ids = abandon.group.getAttribute("aria-describedby")!.split(" ");
    expect(document.getElementById(ids[ids.length - 1])?.textContent).toBe("must be from 0 (never) to 129600 (90 days)");
    expect(within(abandon.group).getByText("must be from 0 (never) to 129600 (90 days)")).toBeTruthy();
    // The other time is not the one refused.
    expect(rule(RESOLVE).amount()?.getAttribute("aria-invalid")).toBeNull();
    expect(within(rule(RESOLVE).group).queryByText(/must be/)).toBeNull();
  });

  it("refuses a time that is not a whole number up to 90 days before asking the server", async () => {
    const { calls } = mockApi({ [`GET ${PATH}`]: { body: rules({ resolve_after_minutes: 60 }) } });
    renderInWorkspace(<AutoClose />, manager());
    await screen.findByRole("group", { name: RESOLVE });
    await userEvent.clear(rule(RESOLVE).amount()!);
    await userEvent.type(rule(RESOLVE).amount()!, "91");
    await userEvent.selectOptions(rule(RESOLVE).unit(), "days");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await within(rule(RESOLVE).group).findByText("must be a whole number, at most 90 days");
    expect(calls.filter((c) => c.method === "PUT")).toEqual([]);
  });

  it("is read-only for a member who may not assign tickets, and says who can change it", async () => {
    const { calls } = mockApi({ [`GET ${PATH}`]: { body: rules({ resolve_after_minutes: 1440, abandon_after_minutes: 0 }) } });
    renderInWorkspace(<AutoClose />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    await screen.findByRole("group", { name: RESOLVE });
    expect([rule(RESOLVE).amount()?.value, rule(RESOLVE).unit().value]).toEqual(["1", "days"]);
    expect(rule(RESOLVE).amount()?.disabled).toBe(true);
    expect(rule(RESOLVE).unit().disabled).toBe(true);
    expect(rule(ABANDON).unit().disabled).toBe(true);
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();
    expect(screen.getByText("Only managers and admins can change the auto-close rules.")).toBeTruthy();
    expect(calls.map((c) => c.method)).toEqual(["GET"]);
  });
});
