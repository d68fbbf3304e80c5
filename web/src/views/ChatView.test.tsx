import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversation, mockApi } from "../test/fakes";
import { loginCode, orderUpdate } from "../test/templates";
import { connection, fakeWorkspace, renderInWorkspace } from "../test/workspace";
import { ComposeDialog } from "./ChatView";

afterEach(() => vi.unstubAllGlobals());

describe("the compose dialog", () => {
  it("starts a conversation with an approved template from the sending number's list", async () => {
    const created = conversation({ id: "c7" });
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/connections/wa2/templates": { body: { items: [orderUpdate, loginCode], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": { status: 201, body: { conversation: created, message: null } },
    });
    const onCreated = vi.fn();
    const w = fakeWorkspace({
      connections: [connection({ id: "sms1", plugin: "loopback", kind: "sms", engine: "loopback", display_name: "SMS line" }), connection({ id: "wa2" })],
    });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={onCreated} />, w);

    // An SMS line has no 24-hour window and no WhatsApp opt-in, so neither option.
    expect(screen.queryByLabelText(/Send an approved template/)).toBeNull();
    expect(screen.queryByLabelText(/agreed to receive WhatsApp messages/)).toBeNull();
    await userEvent.selectOptions(screen.getByLabelText("From"), "wa2");
    await userEvent.click(screen.getByLabelText(/agreed to receive WhatsApp messages/));
    await userEvent.click(screen.getByLabelText(/Send an approved template/));
    await userEvent.selectOptions(await screen.findByLabelText("Template"), "login_code|en_US");
    expect(screen.queryByLabelText("First message")).toBeNull();
    await userEvent.type(screen.getByLabelText("To"), "+15550170001");
    await userEvent.type(screen.getByLabelText("{{1}}"), "482913");
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(true);
    await userEvent.type(screen.getByLabelText("Code to copy"), "482913");
    expect(screen.getByRole("region", { name: "Preview" }).querySelector(".template-body")!.textContent).toBe("482913 is your verification code.");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({
      connection_id: "wa2",
      to: "+15550170001",
      whatsapp_consent: true,
      message: { type: "template", text: "", template: { name: "login_code", language: "en_US", body: ["482913"], copy_code: "482913" } },
    });
  });
});
