import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Ticks } from "./Ticks";

describe("Ticks", () => {
  it.each([
    ["pending", "Waiting to send"],
    ["queued", "Waiting to send"],
    ["scheduled", "Scheduled"],
    ["sent", "Sent"],
    ["delivered", "Delivered"],
    ["read", "Read"],
  ])("shows %s as %s", (status, label) => {
    const { container } = render(<Ticks status={status} />);
    expect(screen.getByRole("img", { name: label })).toBeTruthy();
    expect(container.querySelector(`[data-status="${status}"]`)).not.toBeNull();
  });

  it("draws one check for sent, two for delivered, two blue ones for read", () => {
    const { container, rerender } = render(<Ticks status="sent" />);
    expect(container.querySelectorAll("path").length).toBe(1);
    rerender(<Ticks status="delivered" />);
    expect(container.querySelectorAll("path").length).toBe(2);
    expect(container.querySelector(".ticks-read")).toBeNull();
    rerender(<Ticks status="read" />);
    expect(container.querySelectorAll("path").length).toBe(2);
    expect(container.querySelector(".ticks-read")).not.toBeNull();
  });

  it("gives a failure's reason on hover and to the keyboard", async () => {
    render(<Ticks status="failed" reason="Out of message credits" />);
    const triangle = screen.getByRole("button", { name: "Failed: Out of message credits" });
    expect(triangle.getAttribute("title")).toBe("Out of message credits");
    const tip = screen.getByRole("tooltip");
    expect(tip.textContent).toBe("Out of message credits");
    expect(triangle.getAttribute("aria-describedby")).toBe(tip.id);
    await userEvent.tab();
    expect(document.activeElement).toBe(triangle);
  });

  it("gives the reason a scheduled message waits on its clock, like a failure's", async () => {
    const why = "Outside business hours: goes Mon 7 Dec 09:00 CET";
    const { container } = render(<Ticks status="scheduled" reason={why} />);
    const clock = screen.getByRole("button", { name: `Scheduled: ${why}` });
    expect(clock.getAttribute("title")).toBe(why);
    expect(screen.getByRole("tooltip").textContent).toBe(why);
    expect(container.querySelector('[data-status="scheduled"] svg')).not.toBeNull();
    await userEvent.tab();
    expect(document.activeElement).toBe(clock);
  });

  it("says why a failure without a reason failed anyway", () => {
    render(<Ticks status="failed" />);
    expect(screen.getByRole("button", { name: "Failed: The message could not be sent" })).toBeTruthy();
  });
});
