import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SLAPolicy } from "../../api/types";
import { mockApi } from "../../test/fakes";
import { AGENT, fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { Assignment } from "./Assignment";
import { SlaTargets } from "./SlaTargets";

const PATH = "/api/v1/workspaces/demo/sla";

const policy = (p: Partial<SLAPolicy> = {}): SLAPolicy => ({
  first_response_minutes: 0,
  next_response_minutes: 0,
  resolution_minutes: 0,
  business_hours: false,
  updated_at: "2030-01-01T00:00:00Z",
  ...p,
});

const manager = () => fakeWorkspace({ permissions: MANAGER, role: "manager" });

/** A target's controls: its group (legend), number (absent with No target) and unit. */
function target(name: string) {
  const group = screen.getByRole("group", { name });
  return {
    group,
    amount: () => within(group).queryByRole("spinbutton") as HTMLInputElement | null,
    unit: () => within(group).getByRole("combobox", { name: "Unit" }) as HTMLSelectElement,
  };
}

const FIRST = "First response within";
const NEXT = "Next response within";
const RESOLUTION = "Resolution within";
const HOURS = "Count business hours only";

const puts = (calls: { method: string; body: unknown }[]) => calls.filter((c) => c.method === "PUT").map((c) => c.body);

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Assignment → SLA targets", () => {
  it("sits below the auto-close rules, and says that targets are set on a ticket when its clock starts", async () => {
    mockApi({
      "GET /api/v1/workspaces/demo/assignment": { body: { mode: "queue", assignee_id: null, capacity: 0, updated_at: "2030-01-01T00:00:00Z" } },
      "GET /api/v1/workspaces/demo/auto-close": { body: { resolve_after_minutes: 0, abandon_after_minutes: 0, updated_at: "2030-01-01T00:00:00Z" } },
      [`GET ${PATH}`]: { body: policy() },
    });
    renderInWorkspace(<Assignment />, manager());
    const section = await screen.findByRole("region", { name: "SLA targets" });
    await within(section).findByRole("group", { name: FIRST });
    const autoClose = screen.getByRole("region", { name: "Auto-close" });
    expect(autoClose.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(section.textContent).toContain("A ticket's targets are set when its clock starts");
    expect(section.textContent).toContain("a change applies to clocks that start after it");
    // A new workspace's: no targets.
    expect([FIRST, NEXT, RESOLUTION].map((n) => target(n).unit().value)).toEqual(["none", "none", "none"]);
    expect([...target(FIRST).unit().options].map((o) => o.textContent)).toEqual(["No target", "minutes", "hours", "days"]);
  });

  it("shows each stored target in the largest whole unit, and explains business hours with a link to them", async () => {
    mockApi({ [`GET ${PATH}`]: { body: policy({ first_response_minutes: 30, next_response_minutes: 120, resolution_minutes: 3 * 24 * 60, business_hours: true }) } });
    renderInWorkspace(<SlaTargets />, manager());
    await screen.findByRole("group", { name: FIRST });
    expect([target(FIRST).amount()?.value, target(FIRST).unit().value]).toEqual(["30", "minutes"]);
    expect([target(NEXT).amount()?.value, target(NEXT).unit().value]).toEqual(["2", "hours"]);
    expect([target(RESOLUTION).amount()?.value, target(RESOLUTION).unit().value]).toEqual(["3", "days"]);
    const hours = screen.getByRole("checkbox", { name: HOURS }) as HTMLInputElement;
    expect(hours.checked).toBe(true);
    const explained = document.getElementById(hours.getAttribute("aria-describedby")!)!;
    expect(explained.textContent).toContain("only the time they are open counts");
    expect(within(explained).getByRole("link", { name: "Settings → Business hours" }).getAttribute("href")).toBe("/w/demo/settings/business-hours");
  });

  it("saves each target in minutes with business_hours, and starts again from what the server stored", async () => {
    const { calls } = mockApi({
      [`GET ${PATH}`]: { body: policy({ first_response_minutes: 60 }) },
      [`PUT ${PATH}`]: (c) => ({ body: { ...(c.body as object), updated_at: "2030-01-02T00:00:00Z" } }),
    });
    renderInWorkspace(<SlaTargets />, manager());
    await screen.findByRole("group", { name: FIRST });

    // First response within 15 minutes rather than 1 hour.
    await userEvent.clear(target(FIRST).amount()!);
    await userEvent.type(target(FIRST).amount()!, "15");
    await userEvent.selectOptions(target(FIRST).unit(), "minutes");
    // Next response within 4 hours: the number appears with a unit.
    await userEvent.selectOptions(target(NEXT).unit(), "hours");
    await userEvent.type(target(NEXT).amount()!, "4");
    // Resolution within 2 days, in business hours.
    await userEvent.selectOptions(target(RESOLUTION).unit(), "days");
    await userEvent.type(target(RESOLUTION).amount()!, "2");
    await userEvent.click(screen.getByRole("checkbox", { name: HOURS }));
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved. New clocks start with these targets.");
    expect(puts(calls)).toEqual([{ first_response_minutes: 15, next_response_minutes: 240, resolution_minutes: 2880, business_hours: true }]);
    expect([target(NEXT).amount()?.value, target(NEXT).unit().value]).toEqual(["4", "hours"]);
    expect([target(RESOLUTION).amount()?.value, target(RESOLUTION).unit().value]).toEqual(["2", "days"]);
    expect((screen.getByRole("checkbox", { name: HOURS }) as HTMLInputElement).checked).toBe(true);

    // No first response target, every hour counting.
    await userEvent.selectOptions(target(FIRST).unit(), "No target");
    expect(target(FIRST).amount()).toBeNull();
    await userEvent.click(screen.getByRole("checkbox", { name: HOURS }));
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(puts(calls)).toHaveLength(2));
    expect(puts(calls)[1]).toEqual({ first_response_minutes: 0, next_response_minutes: 240, resolution_minutes: 2880, business_hours: false });
  });

  it("shows the server's refusal under the target it is about", async () => {
    mockApi({
      [`GET ${PATH}`]: { body: policy({ first_response_minutes: 30, next_response_minutes: 60 }) },
      [`PUT ${PATH}`]: {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { next_response_minutes: "must be from 0 (no target) to 43200 (30 days)" } } },
      },
    });
    renderInWorkspace(<SlaTargets />, manager());
    await screen.findByRole("group", { name: NEXT });
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    const next = target(NEXT);
    await waitFor(() => expect(next.amount()?.getAttribute("aria-invalid")).toBe("true"));
    const ids = next.group.getAttribute("aria-describedby")!.split(" ");
    expect(document.getElementById(ids[ids.length - 1])?.textContent).toBe("must be from 0 (no target) to 43200 (30 days)");
    expect(target(FIRST).amount()?.getAttribute("aria-invalid")).toBeNull();
    expect(within(target(FIRST).group).queryByText(/must be/)).toBeNull();
  });

  it("refuses a target longer than 30 days before asking the server", async () => {
    const { calls } = mockApi({ [`GET ${PATH}`]: { body: policy() } });
    renderInWorkspace(<SlaTargets />, manager());
    await screen.findByRole("group", { name: RESOLUTION });
    await userEvent.selectOptions(target(RESOLUTION).unit(), "days");
    await userEvent.type(target(RESOLUTION).amount()!, "31");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await within(target(RESOLUTION).group).findByText("must be a whole number, at most 30 days");
    expect(puts(calls)).toEqual([]);
  });

  it("is read-only for a member who may not assign tickets, and says who can change it", async () => {
    const { calls } = mockApi({ [`GET ${PATH}`]: { body: policy({ first_response_minutes: 60, business_hours: true }) } });
    renderInWorkspace(<SlaTargets />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    await screen.findByRole("group", { name: FIRST });
    expect([target(FIRST).amount()?.value, target(FIRST).unit().value]).toEqual(["1", "hours"]);
    expect(target(FIRST).amount()?.disabled).toBe(true);
    expect(target(FIRST).unit().disabled).toBe(true);
    expect(target(NEXT).unit().disabled).toBe(true);
    expect((screen.getByRole("checkbox", { name: HOURS }) as HTMLInputElement).disabled).toBe(true);
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();
    expect(screen.getByText("Only managers and admins can change the SLA targets.")).toBeTruthy();
    expect(calls.map((c) => c.method)).toEqual(["GET"]);
  });
});
