import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversation, mockApi } from "../test/fakes";
import { loginCode, orderUpdate, welcome } from "../test/templates";
import { connection, fakeWorkspace, renderInWorkspace } from "../test/workspace";
import { ChatView, ComposeDialog, parseRecipients } from "./ChatView";

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
    // An authentication template's code starts as a fresh one for each recipient; a typed one goes as typed.
    expect((screen.getByLabelText("{{1}}") as HTMLInputElement).value).toBe("{{code}}");
    await userEvent.clear(screen.getByLabelText("{{1}}"));
    await userEvent.type(screen.getByLabelText("{{1}}"), "482913");
    await userEvent.clear(screen.getByLabelText("Code to copy"));
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

describe("the compose dialog's template with a media header", () => {
  it("uploads the header's file and sends its id beside the template", async () => {
    const created = conversation({ id: "c7" });
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [welcome], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/media": {
        status: 201,
        body: { id: "file7", filename: "offer.jpg", mime_type: "image/jpeg", size: 4, sha256: "x", created_at: "2030-01-02T10:00:00Z" },
      },
      "POST /api/v1/workspaces/demo/conversations": { status: 201, body: { conversation: created, message: null } },
    });
    const onCreated = vi.fn();
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={onCreated} />, fakeWorkspace());
    await userEvent.click(screen.getByLabelText(/Send an approved template/));
    await userEvent.upload(await screen.findByLabelText("Or upload the image"), new File(["jpeg"], "offer.jpg", { type: "image/jpeg" }));
    await screen.findByRole("group", { name: "Header image file" });
    await userEvent.type(screen.getByLabelText("To"), "+15550170001");
    await userEvent.clear(screen.getByLabelText("{{first_name}}"));
    await userEvent.type(screen.getByLabelText("{{first_name}}"), "Lena");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    const up = calls.find((c) => c.url.endsWith("/media"))!;
    expect(up.body).toBeInstanceOf(FormData);
    expect(((up.body as FormData).get("file") as File).name).toBe("offer.jpg");
    expect((up.body as FormData).get("connection_id")).toBe("conn1");
    expect(calls.find((c) => c.url === "/api/v1/workspaces/demo/conversations" && c.method === "POST")!.body).toEqual({
      connection_id: "conn1",
      to: "+15550170001",
      message: {
        type: "template",
        text: "",
        template: { name: "welcome_offer", language: "de", named: { first_name: "Lena", shop: "Blumenladen" }, button_urls: ["spring-24"] },
        media: { file_id: "file7" },
      },
    });
  });

  it("shows the server's refusal of the file id on the file", async () => {
    mockApi({
      "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [welcome], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/media": {
        status: 201,
        body: { id: "file7", filename: "offer.jpg", mime_type: "image/jpeg", size: 4, sha256: "x", created_at: "2030-01-02T10:00:00Z" },
      },
      "POST /api/v1/workspaces/demo/conversations": {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { "message.media.file_id": "is no file uploaded to this workspace" } } },
      },
    });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace());
    await userEvent.click(screen.getByLabelText(/Send an approved template/));
    await userEvent.upload(await screen.findByLabelText("Or upload the image"), new File(["jpeg"], "offer.jpg", { type: "image/jpeg" }));
    const file = await screen.findByRole("group", { name: "Header image file" });
    await userEvent.type(screen.getByLabelText("To"), "+15550170001");
    await userEvent.clear(screen.getByLabelText("{{first_name}}"));
    await userEvent.type(screen.getByLabelText("{{first_name}}"), "Lena");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(await within(file).findByText("is no file uploaded to this workspace")).toBeTruthy();
  });
});

describe("the compose dialog's template sent to recipients who lack a field", () => {
  it("shows the server's refusal, named under the message, beside the value", async () => {
    const gap = "2 of the 3 recipients (+447700900123 first) have no first name: give a fallback, {{first_name|…}}";
    mockApi({
      "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [welcome], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { "message.template.named.first_name": gap } } },
      },
    });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace());
    await userEvent.click(screen.getByLabelText(/Send an approved template/));
    await userEvent.type(await screen.findByLabelText("Header image link"), "https://cdn.example/offer.jpg");
    await userEvent.type(screen.getByLabelText("To"), "+447700900123, +447700900124, +447700900125");
    await userEvent.type(screen.getByLabelText("Conversation name"), "Spring offer");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    const first = screen.getByLabelText("{{first_name}}");
    await waitFor(() => expect(first.closest(".field")?.querySelector(".field-error")?.textContent).toBe(gap));
    expect(first.getAttribute("aria-invalid")).toBe("true");
  });
});

describe("the first message's length", () => {
  it("is counted in characters as the server counts them, not cut short, and over the limit says so and cannot be sent", async () => {
    mockApi({ "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } } });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace());
    const box = screen.getByLabelText("First message") as HTMLTextAreaElement;
    const send = () => screen.getByRole("button", { name: "Send" });

    // 2048 emoji are 4096 UTF-16 units but 2048 characters: there is room for more.
    fireEvent.change(box, { target: { value: "🎉".repeat(2048) } });
    await userEvent.type(box, "ok");
    expect(box.value).toBe("🎉".repeat(2048) + "ok");
    expect(screen.getByText("2050/4096").classList.contains("over")).toBe(false);
    expect(box.hasAttribute("maxlength")).toBe(false);

    fireEvent.change(box, { target: { value: "a".repeat(4095) + "🎉" } });
    expect(screen.getByText("4096/4096").classList.contains("over")).toBe(false);
    expect(box.getAttribute("aria-invalid")).toBeNull();
    expect(send().hasAttribute("disabled")).toBe(false);

    fireEvent.change(box, { target: { value: "a".repeat(4095) + "🎉!" } });
    expect(screen.getByText("4097/4096").classList.contains("over")).toBe(true);
    expect(box.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("The message is too long: at most 4096 characters.")).toBeTruthy();
    expect(send().hasAttribute("disabled")).toBe(true);
  });
});

describe("composing to several recipients", () => {
  it("splits the numbers typed, each once, and sends them with the group and a required name", async () => {
    const created = conversation({ id: "c8", recipients: 4, title: "Launch" });
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [{ id: "g1", name: "VIP", members: 2, created_at: "", updated_at: "" }], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": { status: 201, body: { conversation: created, message: null } },
    });
    const onCreated = vi.fn();
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={onCreated} />, fakeWorkspace());
    await userEvent.type(screen.getByLabelText("To"), "+15550170001, +15550170002{enter}+1 555 017 0001");
    await userEvent.selectOptions(await screen.findByLabelText("Or a group"), "g1");
    // Several recipients: no contact name, and the conversation needs one of its own.
    expect(screen.queryByLabelText("Contact name")).toBeNull();
    expect(screen.getByLabelText("Conversation name").hasAttribute("required")).toBe(true);
    await userEvent.type(screen.getByLabelText("Conversation name"), "Launch");
    await userEvent.type(screen.getByLabelText("First message"), "We open at 9");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({
      connection_id: "conn1",
      recipients: ["+15550170001", "+15550170002"],
      group_id: "g1",
      title: "Launch",
      message: { type: "text", text: "We open at 9" },
    });
  });

  it("shows which typed number the server refused", async () => {
    mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { "recipients[1]": "is not a phone number" } } },
      },
    });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace());
    await userEvent.type(screen.getByLabelText("To"), "+15550170001, call me");
    await userEvent.type(screen.getByLabelText("Conversation name"), "Two");
    await userEvent.click(screen.getByRole("button", { name: "Open conversation" }));
    expect(await screen.findByText("call me: is not a phone number")).toBeTruthy();
  });
});

describe("composing from several numbers", () => {
  // Two numbers of one channel and one of another.
  const lines = () => [
    connection({ id: "wa1", display_name: "Sales", address: "+15550000001" }),
    connection({ id: "wa2", public_id: "pub2", display_name: "Support", address: "+15550000002" }),
    connection({ id: "sms1", public_id: "pub3", plugin: "loopback", kind: "sms", engine: "loopback", display_name: "SMS line", address: "+15550000003" }),
  ];

  it("on a multi-device plan splits several recipients between the chosen number and the ticked ones", async () => {
    const created = conversation({ id: "c10", connection_id: "wa1", recipients: 3, title: "Spring" });
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": { status: 201, body: { conversation: created, message: null } },
    });
    const onCreated = vi.fn();
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={onCreated} />, fakeWorkspace({ connections: lines(), features: { multi_device: true } }));
    // One customer is written from one number: nothing to split yet.
    await userEvent.type(screen.getByLabelText("To"), "+15550170001");
    expect(screen.queryByRole("group", { name: "Also send from" })).toBeNull();
    await userEvent.type(screen.getByLabelText("To"), ", +15550170002, +15550170003");
    const also = screen.getByRole("group", { name: "Also send from" });
    // Only the other number of the chosen one's channel.
    expect(within(also).getAllByRole("checkbox").map((b) => b.closest("label")!.textContent!.trim())).toEqual(["Support · +15550000002"]);
    expect(also.textContent).toContain("split evenly between the numbers");
    await userEvent.click(within(also).getByLabelText(/Support/));
    await userEvent.type(screen.getByLabelText("Conversation name"), "Spring");
    await userEvent.type(screen.getByLabelText("First message"), "New season, new hours");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({
      connection_ids: ["wa1", "wa2"],
      recipients: ["+15550170001", "+15550170002", "+15550170003"],
      title: "Spring",
      message: { type: "text", text: "New season, new hours" },
    });
    expect(post.body).not.toHaveProperty("connection_id");
  });

  it("offers only the numbers that are connected", async () => {
    mockApi({ "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } } });
    const numbers = [...lines(), connection({ id: "wa3", public_id: "pub4", display_name: "Night line", address: "+15550000004", status: "error", status_reason: "token expired" })];
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace({ connections: numbers, features: { multi_device: true } }));
    await userEvent.type(screen.getByLabelText("To"), "+15550170001, +15550170002");
    const also = screen.getByRole("group", { name: "Also send from" });
    expect(within(also).getAllByRole("checkbox").map((b) => b.closest("label")!.textContent!.trim())).toEqual(["Support · +15550000002"]);
  });

  it("is not offered on a plan without multi-device, and the send stays on one number", async () => {
    const created = conversation({ id: "c11", connection_id: "wa1", recipients: 3, title: "Spring" });
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": { status: 201, body: { conversation: created, message: null } },
    });
    const onCreated = vi.fn();
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={onCreated} />, fakeWorkspace({ connections: lines() }));
    await userEvent.type(screen.getByLabelText("To"), "+15550170001, +15550170002, +15550170003");
    await userEvent.type(screen.getByLabelText("Conversation name"), "Spring");
    expect(screen.queryByRole("group", { name: "Also send from" })).toBeNull();
    expect(screen.queryByText(/split evenly/)).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Open conversation" }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({
      connection_id: "wa1",
      recipients: ["+15550170001", "+15550170002", "+15550170003"],
      title: "Spring",
    });
  });

  it("shows the server's refusal of a number next to From, naming it", async () => {
    mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": {
        status: 422,
        body: { error: { code: "validation_failed", message: "validation failed", fields: { "connection_ids[1]": "is not a connection of this workspace" } } },
      },
    });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace({ connections: lines(), features: { multi_device: true } }));
    await userEvent.type(screen.getByLabelText("To"), "+15550170001, +15550170002");
    await userEvent.click(screen.getByLabelText(/Support/));
    await userEvent.type(screen.getByLabelText("Conversation name"), "Two");
    await userEvent.click(screen.getByRole("button", { name: "Open conversation" }));
    const from = screen.getByLabelText("From");
    await waitFor(() =>
      expect(from.closest(".field")?.querySelector(".field-error")?.textContent).toBe("Support · +15550000002: is not a connection of this workspace"),
    );
    expect(from.getAttribute("aria-invalid")).toBe("true");
  });
});

describe("composing to a group with members the channel cannot reach", () => {
  it("says how many were left out before opening the conversation", async () => {
    const created = conversation({ id: "c9", recipients: 3, title: "Newsletter" });
    mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [{ id: "g1", name: "All", members: 5, created_at: "", updated_at: "" }], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/conversations": { status: 201, body: { conversation: created, message: null, left_out: 2 } },
    });
    const onCreated = vi.fn();
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={onCreated} />, fakeWorkspace());
    await userEvent.selectOptions(await screen.findByLabelText("Or a group"), "g1");
    await userEvent.type(screen.getByLabelText("Conversation name"), "Newsletter");
    await userEvent.click(screen.getByRole("button", { name: "Open conversation" }));
    expect((await screen.findByRole("status")).textContent).toContain("2 members of the group have no address on this channel and were left out");
    expect(onCreated).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Open conversation" }));
    expect(onCreated).toHaveBeenCalledWith(created);
  });
});

describe("suggestions in To", () => {
  it("offers contacts messaged before as you type, and a pick replaces what is being typed", async () => {
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/contact-groups": { body: { items: [], next_cursor: "" } },
      "GET /api/v1/workspaces/demo/contacts": {
        body: { items: [{ id: "ct1", name: "Maya Patel", phone: "+15550100101", email: "", messenger_id: "", attributes: {}, opted_out: false, whatsapp_consent: true, created_at: "", updated_at: "" }], next_cursor: "" },
      },
    });
    renderInWorkspace(<ComposeDialog onClose={() => undefined} onCreated={() => undefined} />, fakeWorkspace());
    const to = screen.getByLabelText("To") as HTMLTextAreaElement;
    await userEvent.type(to, "+15550170001, may");
    const list = await screen.findByRole("list", { name: "Contacts messaged before" });
    await userEvent.click(within(list).getByRole("button", { name: /Maya Patel/ }));
    expect(to.value).toBe("+15550170001, +15550100101");
    const search = calls.filter((c) => c.url.includes("/contacts?")).pop()!;
    expect(new URL(search.url, "http://x").searchParams.get("q")).toBe("may");
  });
});

describe("parseRecipients", () => {
  it("splits at commas, semicolons and new lines, and drops repeats however spaced", () => {
    expect(parseRecipients(" +44 20 7946 0958,+442079460958;\n+1 (555) 010-0100\n\n")).toEqual(["+44 20 7946 0958", "+1 (555) 010-0100"]);
  });
});

describe("Chat's date range", () => {
  afterEach(() => window.history.replaceState(null, "", "/"));

  it("lists the conversations last active from one day to another, kept in the URL", async () => {
    const { calls } = mockApi({
      "GET /api/v1/workspaces/demo/conversations": { body: { items: [conversation({ id: "c1", title: "Maya" })], next_cursor: "" } },
      "GET /api/v1/workspaces/demo/conversations/counts": { body: { kind: "chat", counts: {} } },
    });
    window.history.replaceState(null, "", "/w/demo/chat?view=sent");
    renderInWorkspace(<ChatView />, fakeWorkspace());
    await screen.findByText("Maya");
    fireEvent.change(screen.getByLabelText("Active from"), { target: { value: "2030-01-01" } });
    fireEvent.change(screen.getByLabelText("Active to"), { target: { value: "2030-01-31" } });
    const lists = () => calls.filter((c) => c.url.split("?")[0] === "/api/v1/workspaces/demo/conversations").map((c) => new URL(c.url, "http://x").searchParams);
    await waitFor(() => expect(lists().pop()!.get("to")).toBe("2030-01-31"));
    const asked = lists().pop()!;
    expect([asked.get("kind"), asked.get("pill"), asked.get("from"), asked.get("to")]).toEqual(["chat", "sent", "2030-01-01", "2030-01-31"]);
    expect(window.location.search).toBe("?view=sent&from=2030-01-01&to=2030-01-31");
  });
});
