import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BusinessHoursView } from "../../api/types";
import { opening } from "../../lib/format";
import { mockApi } from "../../test/fakes";
import { fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { BusinessHours } from "./BusinessHours";
import { Settings } from "./Settings";

const GET = "GET /api/v1/workspaces/demo/business-hours";
const PUT = "PUT /api/v1/workspaces/demo/business-hours";
const NEXT = "2030-12-09T09:00:00Z";

const view = (p: Partial<BusinessHoursView> = {}): BusinessHoursView => ({
  enabled: false,
  days: {},
  time_zone: "Europe/London",
  open_now: true,
  next_open: null,
  ...p,
});

const day = (name: string) => screen.getByRole("group", { name });
const interval = (name: string, n: number) => screen.getByRole("group", { name: `${name}, hours ${n}` });
const setTime = (input: HTMLElement, value: string) => fireEvent.change(input, { target: { value } });

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Business hours", () => {
  it("starts from Mon–Fri 09:00–17:00 when turned on, takes edits, and sends exactly the week shown", async () => {
    const { calls } = mockApi({
      [GET]: { body: view() },
      [PUT]: (c) => ({ body: { ...(c.body as object), time_zone: "Europe/London", open_now: false, next_open: NEXT } }),
    });
    renderInWorkspace(<BusinessHours />, fakeWorkspace());
    expect(await screen.findByText("Off: messages go out at any hour.")).toBeTruthy();
    expect(screen.getByText(/Times are in Europe\/London/)).toBeTruthy();
    // Off with nothing set: every day closed.
    expect((within(day("Monday")).getByLabelText("Closed") as HTMLInputElement).checked).toBe(true);

    await userEvent.click(screen.getByRole("switch", { name: "Hold messages outside business hours" }));
    for (const d of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]) {
      expect((within(interval(d, 1)).getByLabelText("Opens") as HTMLInputElement).value).toBe("09:00");
      expect((within(interval(d, 1)).getByLabelText("Closes") as HTMLInputElement).value).toBe("17:00");
    }
    expect((within(day("Saturday")).getByLabelText("Closed") as HTMLInputElement).checked).toBe(true);

    // Monday: a lunch break, the afternoon until 18:00.
    setTime(within(interval("Monday", 1)).getByLabelText("Closes"), "12:30");
    await userEvent.click(screen.getByRole("button", { name: "Add hours on Monday" }));
    expect((within(interval("Monday", 2)).getByLabelText("Opens") as HTMLInputElement).value).toBe("12:30");
    setTime(within(interval("Monday", 2)).getByLabelText("Opens"), "13:30");
    setTime(within(interval("Monday", 2)).getByLabelText("Closes"), "18:00");
    // Tuesday: an extra stretch added, then taken away again.
    await userEvent.click(screen.getByRole("button", { name: "Add hours on Tuesday" }));
    await userEvent.click(screen.getByRole("button", { name: "Remove Tuesday 17:00–18:00" }));
    expect(within(day("Tuesday")).queryByRole("group", { name: "Tuesday, hours 2" })).toBeNull();
    // Wednesday closed; Saturday open until midnight, typed as 00:00.
    await userEvent.click(within(day("Wednesday")).getByLabelText("Closed"));
    expect(within(day("Wednesday")).queryByLabelText("Opens")).toBeNull();
    await userEvent.click(within(day("Saturday")).getByLabelText("Closed"));
    setTime(within(interval("Saturday", 1)).getByLabelText("Opens"), "20:00");
    setTime(within(interval("Saturday", 1)).getByLabelText("Closes"), "00:00");

    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")!.body).toEqual({
      enabled: true,
      days: {
        mon: [
          { open: "09:00", close: "12:30" },
          { open: "13:30", close: "18:00" },
        ],
        tue: [{ open: "09:00", close: "17:00" }],
        thu: [{ open: "09:00", close: "17:00" }],
        fri: [{ open: "09:00", close: "17:00" }],
        sat: [{ open: "20:00", close: "24:00" }],
      },
    });
    // What the server answered: closed now, and when they open, in the workspace's zone.
    expect(await screen.findByText(`Closed now: messages wait until ${opening(NEXT, "Europe/London")} unless sent as urgent.`)).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe("Saved.");
    // The form starts again from what was stored: midnight still shows as 00:00.
    expect((within(interval("Saturday", 1)).getByLabelText("Closes") as HTMLInputElement).value).toBe("00:00");
  });

  it("shows what the server says is wrong next to the time it is about, and about the week as a whole", async () => {
    mockApi({
      [GET]: { body: view({ enabled: true, open_now: true, days: { mon: [{ open: "09:00", close: "17:00" }], tue: [{ open: "09:00", close: "17:00" }] } }) },
      [PUT]: {
        status: 422,
        body: {
          error: {
            code: "validation_failed",
            message: "validation failed",
            fields: { "days.tue[0].close": "must be after open", days: "must have an open interval on some day when business hours are on" },
          },
        },
      },
    });
    renderInWorkspace(<BusinessHours />, fakeWorkspace());
    expect(await screen.findByText("Open now: messages go out at once.")).toBeTruthy();
    setTime(within(interval("Tuesday", 1)).getByLabelText("Closes"), "08:00");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    const close = within(interval("Tuesday", 1)).getByLabelText("Closes");
    await waitFor(() => expect(close.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(close.getAttribute("aria-describedby")!)?.textContent).toBe("must be after open");
    // Only that time is marked: not Tuesday's opening, not Monday's.
    expect(within(interval("Tuesday", 1)).getByLabelText("Opens").getAttribute("aria-invalid")).toBeNull();
    expect(within(interval("Monday", 1)).getByLabelText("Closes").getAttribute("aria-invalid")).toBeNull();
    expect(screen.getByText("must have an open interval on some day when business hours are on")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe("validation failed");
    // The edit is kept for another try.
    expect((close as HTMLInputElement).value).toBe("08:00");
  });

  it("lets a member who cannot manage the workspace read the hours, and no more", async () => {
    const { calls } = mockApi({
      [GET]: {
        body: view({
          enabled: true,
          open_now: false,
          next_open: NEXT,
          days: { mon: [{ open: "09:00", close: "12:30" }, { open: "13:30", close: "17:00" }], sat: [{ open: "10:00", close: "24:00" }] },
        }),
      },
    });
    renderInWorkspace(<BusinessHours />, fakeWorkspace({ permissions: MANAGER, role: "manager" }));
    expect(await screen.findByText(`Closed now: messages wait until ${opening(NEXT, "Europe/London")} unless sent as urgent.`)).toBeTruthy();
    const week = screen.getByRole("region", { name: "Weekly hours" });
    const rows = Array.from(week.querySelectorAll("dt")).map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`);
    expect(rows).toEqual([
      "Monday: 09:00–12:30, 13:30–17:00",
      "Tuesday: Closed",
      "Wednesday: Closed",
      "Thursday: Closed",
      "Friday: Closed",
      "Saturday: 10:00–24:00",
      "Sunday: Closed",
    ]);
    expect(within(week).getByText("Times are in Europe/London.")).toBeTruthy();
    expect(screen.queryByRole("switch")).toBeNull();
    expect(screen.queryByRole("button")).toBeNull();
    expect(document.querySelector("input")).toBeNull();
    expect(calls.map((c) => c.method)).toEqual(["GET"]);
  });

  it("is a section of Settings for admins and managers alike", async () => {
    mockApi({ [GET]: { body: view() } });
    for (const w of [fakeWorkspace(), fakeWorkspace({ permissions: MANAGER, role: "manager" })]) {
      const { unmount } = renderInWorkspace(<Settings section="business-hours" />, w);
      const link = within(screen.getByRole("navigation", { name: "Settings" })).getByRole("link", { name: "Business hours" });
      expect(link.getAttribute("href")).toBe("/w/demo/settings/business-hours");
      expect(link.getAttribute("aria-current")).toBe("page");
      expect(screen.getByRole("heading", { level: 1, name: "Business hours" })).toBeTruthy();
      await screen.findByText("Off: messages go out at any hour.");
      unmount();
    }
  });
});
