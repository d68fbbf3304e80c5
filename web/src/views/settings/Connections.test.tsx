import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChannelOption } from "../../api/types";
import { mockApi } from "../../test/fakes";
import { connection, fakeWorkspace, renderInWorkspace } from "../../test/workspace";
import { Connections } from "./Connections";

const CHANNELS = "GET /api/v1/workspaces/demo/channels";

const loopback: ChannelOption = {
  plugin: "loopback",
  version: "1.0.0",
  kind: "sms",
  engines: ["loopback"],
  capabilities: ["text"],
  send_rates: { loopback: 5 },
  media_limits: { image: 16 << 20, video: 16 << 20, audio: 16 << 20, document: 16 << 20 },
      media_types: ["jpg", "pdf", "png"],
  available: true,
  reason: "",
  config_schema: {
    title: "Loopback",
    type: "object",
    required: ["webhook_secret"],
    properties: {
      webhook_secret: { type: "string", "x-secret": true, title: "Webhook secret" },
      delay_ms: { type: "integer", minimum: 0, default: 0, title: "Send latency (ms)" },
      fail_with: { type: "string", enum: ["transient", "permanent"], title: "Fail every send with" },
    },
  },
};

const whatsapp: ChannelOption = {
  plugin: "whatsapp",
  version: "1.4.0",
  kind: "whatsapp",
  engines: ["cloud", "twilio"],
  capabilities: ["templates"],
  media_limits: { image: 5 << 20, video: 16 << 20, audio: 16 << 20, document: 16 << 20 },
      media_types: ["jpg", "pdf", "png"],
  available: false,
  reason: "The Starter plan does not include this channel",
  config_schema: { type: "object", properties: { access_token: { type: "string", title: "Access token" } } },
};

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Connections for a workspace admin", () => {
  it("builds the add form from the channel's config schema, shows unavailable channels disabled with their reason, and sends the config", async () => {
    const { calls } = mockApi({
      [CHANNELS]: { body: { items: [whatsapp, loopback], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/connections": { status: 201, body: connection({ id: "new1", plugin: "loopback" }) },
    });
    const reloadConnections = vi.fn(async () => undefined);
    renderInWorkspace(<Connections />, fakeWorkspace({ reloadConnections }));
    const add = screen.getByRole("button", { name: "Add connection" });
    await waitFor(() => expect(add.hasAttribute("disabled")).toBe(false));
    await userEvent.click(add);
    const dialog = screen.getByRole("dialog", { name: "Add a connection" });

    const plugin = within(dialog).getByLabelText("Channel plugin") as HTMLSelectElement;
    expect(plugin.value).toBe("loopback");
    const wa = Array.from(plugin.options).find((o) => o.value === "whatsapp")!;
    expect(wa.disabled).toBe(true);
    expect(wa.textContent).toContain("The Starter plan does not include this channel");
    expect(within(dialog).getByRole("list", { name: "Unavailable channels" }).textContent).toBe("whatsapp: The Starter plan does not include this channel");

    // The fields are the schema's, not a JSON box.
    expect(within(dialog).queryByLabelText("Configuration (JSON)")).toBeNull();
    expect(within(dialog).getByRole("group", { name: "Loopback" })).toBeTruthy();
    const secret = within(dialog).getByLabelText("Webhook secret (required)") as HTMLInputElement;
    expect(secret.type).toBe("password");
    expect((within(dialog).getByLabelText("Send latency (ms)") as HTMLInputElement).value).toBe("0");
    expect(Array.from((within(dialog).getByLabelText("Fail every send with") as HTMLSelectElement).options).map((o) => o.value)).toEqual(["", "transient", "permanent"]);
    expect(within(dialog).queryByLabelText("Access token")).toBeNull();

    await userEvent.type(within(dialog).getByLabelText("Name"), "Support line");
    await userEvent.type(within(dialog).getByLabelText("Address"), "+15550009999");
    await userEvent.type(secret, "s3cret");
    await userEvent.selectOptions(within(dialog).getByLabelText("Fail every send with"), "transient");
    // The send rate offers the channel's default; a word is refused before it is sent.
    const rate = within(dialog).getByLabelText("Send rate (messages a second)") as HTMLInputElement;
    expect(rate.placeholder).toBe("5");
    await userEvent.type(rate, "fast");
    await userEvent.click(within(dialog).getByRole("button", { name: "Connect" }));
    expect(within(dialog).getByText("must be a number of messages a second")).toBeTruthy();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    await userEvent.clear(rate);
    await userEvent.type(rate, "30");
    await userEvent.click(within(dialog).getByRole("button", { name: "Connect" }));

    await waitFor(() => expect(reloadConnections).toHaveBeenCalled());
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({
      plugin: "loopback",
      engine: "loopback",
      display_name: "Support line",
      address: "+15550009999",
      config: { webhook_secret: "s3cret", delay_ms: 0, fail_with: "transient" },
      send_rate: 30,
    });
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("edits a connection in its channel's form, from the stored config, and shows the plugin's field message", async () => {
    const existing = connection({ id: "lb1", plugin: "loopback", kind: "sms", engine: "loopback", display_name: "Support line", config: { webhook_secret: "********", delay_ms: 250 } });
    const { calls } = mockApi({
      [CHANNELS]: { body: { items: [loopback], next_cursor: "" } },
      "PATCH /api/v1/workspaces/demo/connections/lb1": {
        status: 422,
        body: { error: { code: "validation_failed", message: "The configuration is not valid.", fields: { "config.delay_ms": "must be at most 60000" } } },
      },
    });
    renderInWorkspace(<Connections />, fakeWorkspace({ connections: [existing] }));
    const edit = screen.getByRole("button", { name: "Edit" });
    await waitFor(() => expect(edit.hasAttribute("disabled")).toBe(false));
    await userEvent.click(edit);
    const dialog = screen.getByRole("dialog", { name: "Edit Support line" });
    expect((within(dialog).getByLabelText("Webhook secret (required)") as HTMLInputElement).value).toBe("********");
    const delay = within(dialog).getByLabelText("Send latency (ms)") as HTMLInputElement;
    expect(delay.value).toBe("250");
    await userEvent.clear(delay);
    await userEvent.type(delay, "99999");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));

    expect((await within(dialog).findByRole("alert")).textContent).toBe("The configuration is not valid.");
    expect(within(dialog).getByText("must be at most 60000")).toBeTruthy();
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ display_name: "Support line", config: { webhook_secret: "********", delay_ms: 99999 } });
  });

  it("tells a WhatsApp Cloud number that one Meta app's webhook serves all the workspace's numbers", async () => {
    mockApi({ [CHANNELS]: { body: { items: [loopback], next_cursor: "" } } });
    const sms = connection({ id: "lb1", plugin: "loopback", kind: "sms", engine: "loopback", display_name: "Support line" });
    renderInWorkspace(<Connections />, fakeWorkspace({ connections: [connection(), sms] }));
    expect(await screen.findAllByText(/Several of this workspace's numbers on one Meta app\?/)).toHaveLength(1);
  });

  it("shows the server's words when the channels cannot be listed", async () => {
    mockApi({ [CHANNELS]: { status: 403, body: { error: { code: "forbidden", message: "your role (manager) does not allow channels:read" } } } });
    renderInWorkspace(<Connections />);
    expect((await screen.findByRole("alert")).textContent).toBe("your role (manager) does not allow channels:read");
    expect(screen.getByRole("button", { name: "Add connection" }).hasAttribute("disabled")).toBe(true);
  });
});
