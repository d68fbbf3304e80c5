import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { mockApi } from "../test/fakes";
import { renderInWorkspace } from "../test/workspace";
import { Composer } from "./Composer";

afterEach(() => vi.unstubAllGlobals());

describe("Composer", () => {
  it("sends on Enter and empties the box", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    const box = screen.getByLabelText("Message");
    await userEvent.type(box, "Hello there{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Hello there" });
    expect((box as HTMLTextAreaElement).value).toBe("");
  });

  it("starts a new line on Shift+Enter without sending", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    const box = screen.getByLabelText("Message") as HTMLTextAreaElement;
    await userEvent.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(onSend).not.toHaveBeenCalled();
    expect(box.value).toBe("line one\nline two");
    await userEvent.type(box, "{Enter}");
    expect(onSend).toHaveBeenCalledWith({ type: "text", text: "line one\nline two" });
  });

  it("does not send an empty message", async () => {
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    await userEvent.type(screen.getByLabelText("Message"), "   {Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(true);
  });

  it("shows the server's message as it is and keeps the text", async () => {
    const onSend = vi.fn().mockRejectedValue(new ApiError(403, { code: "forbidden", message: "your role (viewer) does not allow conversations:reply" }));
    render(<Composer onSend={onSend} />);
    const box = screen.getByLabelText("Message") as HTMLTextAreaElement;
    await userEvent.type(box, "will fail{Enter}");
    expect((await screen.findByRole("alert")).textContent).toBe("your role (viewer) does not allow conversations:reply");
    expect(box.value).toBe("will fail");
  });

  it("replaces the text box by the template picker when the window is closed", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    mockApi({ "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [], next_cursor: "" } } });
    renderInWorkspace(<Composer onSend={onSend} windowClosed connection="conn1" />);
    expect(screen.queryByLabelText("Message")).toBeNull();
    expect(screen.getByRole("note").textContent).toContain("24-hour window is closed");
    // This connection lists no templates: the name is typed.
    await userEvent.type(await screen.findByLabelText("Template name"), "order_update");
    await userEvent.click(screen.getByRole("button", { name: "Add parameter" }));
    await userEvent.click(screen.getByRole("button", { name: "Add parameter" }));
    await userEvent.type(screen.getByLabelText("{{1}}"), "Maya");
    await userEvent.type(screen.getByLabelText("{{2}}"), "#1042");
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));
    expect(onSend).toHaveBeenCalledWith({
      type: "template",
      text: "",
      template: { name: "order_update", language: "en_US", body: ["Maya", "#1042"] },
    });
  });

  it("lets a team write an internal note even when the window is closed", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} windowClosed allowNotes />);
    await userEvent.click(screen.getByLabelText("Internal note"));
    await userEvent.type(screen.getByRole("textbox", { name: "Internal note" }), "VIP customer{Enter}");
    expect(onSend).toHaveBeenCalledWith({ type: "note", text: "VIP customer" });
  });
});
