import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi } from "../test/fakes";
import { fakeWorkspace, renderInWorkspace } from "../test/workspace";
import { AvailabilityControl, EnableNotifications, MemberAvailability } from "./Availability";

const PATH = "/api/v1/workspaces/demo/availability";

afterEach(() => vi.unstubAllGlobals());

const select = () => screen.findByRole("combobox", { name: "Your availability" }) as Promise<HTMLSelectElement>;

describe("the member's own availability", () => {
  it("shows what the server has, without nagging about the app not being connected yet", async () => {
    mockApi({ [`GET ${PATH}`]: { body: { availability: "online", online: false } } });
    renderInWorkspace(<AvailabilityControl />, fakeWorkspace());
    const box = await select();
    expect(box.value).toBe("online");
    expect([...box.options].map((o) => o.textContent)).toEqual(["Online", "Busy", "Offline"]);
    expect(box.closest("[title]")?.getAttribute("title")).toBe("Takes new tickets from the queue");
    expect(box.parentElement?.querySelector(".avail-dot")?.className).toBe("avail-dot avail-online");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("saves a change and shows it", async () => {
    const { calls } = mockApi({
      [`GET ${PATH}`]: { body: { availability: "online", online: true } },
      [`PUT ${PATH}`]: (c) => ({ body: { ...(c.body as object), online: true } }),
    });
    renderInWorkspace(<AvailabilityControl />, fakeWorkspace());
    await userEvent.selectOptions(await select(), "busy");
    await waitFor(() => expect(calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ availability: "busy" }]));
    const box = await select();
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(box.value).toBe("busy");
    expect(box.closest("[title]")?.getAttribute("title")).toBe("Busy: the queue passes you over");
    expect(box.parentElement?.querySelector(".avail-dot")?.className).toBe("avail-dot avail-busy");
  });

  it("keeps the one before when the change fails, and says why", async () => {
    mockApi({
      [`GET ${PATH}`]: { body: { availability: "online", online: true } },
      [`PUT ${PATH}`]: { status: 403, body: { error: { code: "forbidden", message: "your role cannot take tickets" } } },
    });
    renderInWorkspace(<AvailabilityControl />, fakeWorkspace());
    await userEvent.selectOptions(await select(), "offline");
    expect((await screen.findByRole("alert")).textContent).toBe("Not changed: your role cannot take tickets");
    expect((await select()).value).toBe("online");
  });

  it("shows nothing when it could not be loaded", async () => {
    const { calls } = mockApi({ [`GET ${PATH}`]: { status: 500, body: { error: { code: "internal", message: "boom" } } } });
    const { container } = renderInWorkspace(<AvailabilityControl />, fakeWorkspace());
    await waitFor(() => expect(calls).toHaveLength(1));
    await waitFor(() => expect(container.textContent).toBe(""));
  });
});

describe("another member's availability", () => {
  it("says online, busy, offline, or away when online without the app open", () => {
    const { container } = renderInWorkspace(
      <>
        <MemberAvailability availability="online" online />
        <MemberAvailability availability="online" online={false} />
        <MemberAvailability availability="busy" />
        <MemberAvailability availability="offline" online={false} />
      </>,
    );
    expect([...container.querySelectorAll(".avail")].map((e) => [e.textContent?.trim(), e.querySelector(".avail-dot")?.className])).toEqual([
      ["online", "avail-dot avail-online"],
      ["away", "avail-dot avail-away"],
      ["busy", "avail-dot avail-busy"],
      ["offline", "avail-dot avail-offline"],
    ]);
  });
});

describe("Enable desktop notifications", () => {
  function stubNotification(permission: NotificationPermission, answer: NotificationPermission = permission) {
    const requestPermission = vi.fn(async () => answer);
    vi.stubGlobal("Notification", { permission, requestPermission });
    return requestPermission;
  }

  it("asks the browser only when clicked, and goes once it answered", async () => {
    const ask = stubNotification("default", "granted");
    renderInWorkspace(<EnableNotifications />);
    const button = screen.getByRole("button", { name: "Enable desktop notifications" });
    expect(ask).not.toHaveBeenCalled();
    await userEvent.click(button);
    expect(ask).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByRole("button", { name: "Enable desktop notifications" })).toBeNull());
  });

  it("is not offered once the browser was answered, or where there are no notifications", () => {
    for (const permission of ["granted", "denied"] as const) {
      stubNotification(permission);
      const view = renderInWorkspace(<EnableNotifications />);
      expect(screen.queryByRole("button", { name: "Enable desktop notifications" })).toBeNull();
      view.unmount();
    }
    vi.stubGlobal("Notification", undefined);
    renderInWorkspace(<EnableNotifications />);
    expect(screen.queryByRole("button")).toBeNull();
  });
});
