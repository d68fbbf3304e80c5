import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createRef } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { opening } from "../lib/format";
import { mockApi } from "../test/fakes";
import { welcome } from "../test/templates";
import { AGENT, connection, fakeWorkspace, renderInWorkspace, VIEWER } from "../test/workspace";
import { ATTACH_ACCEPT, Composer, type ComposerControls } from "./Composer";

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

  it("sends on Ctrl+Enter too, and says so", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    expect(document.getElementById("composer-help")?.textContent).toContain("Enter or Ctrl+Enter to send");
    await userEvent.type(screen.getByLabelText("Message"), "Hello there{Control>}{Enter}{/Control}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Hello there" });
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

describe("Composer attachments", () => {
  const UPLOAD = "POST /api/v1/workspaces/demo/media";
  const stored = (p: { id: string; filename: string; mime_type: string; size: number }) => ({
    status: 201,
    body: { ...p, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", created_at: "2030-01-02T10:00:00Z" },
  });
  const revoked: string[] = [];

  // jsdom keeps no files in memory: the thumbnail's object URLs are counted instead.
  beforeEach(() => {
    revoked.length = 0;
    let n = 0;
    Object.assign(URL, {
      createObjectURL: vi.fn(() => `blob:picked-${++n}`),
      revokeObjectURL: vi.fn((u: string) => revoked.push(u)),
    });
  });
  afterEach(() => {
    Reflect.deleteProperty(URL, "createObjectURL");
    Reflect.deleteProperty(URL, "revokeObjectURL");
  });

  const fileInput = () => document.querySelector<HTMLInputElement>('input[type="file"]')!;
  const picture = () => new File([new Uint8Array(1_258_291)], "menu.png", { type: "image/png" });

  /** Holds the upload's answer until release is called, to see the composer while it waits. */
  function holdUpload(fetchMock: ReturnType<typeof mockApi>["fetchMock"]) {
    const answer = fetchMock.getMockImplementation()!;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fetchMock.mockImplementation(async (input, init) => {
      if (init?.method === "POST") await gate;
      return answer(input, init);
    });
    return () => release();
  }

  /** The calls but the composer's look at the business hours. */
  const sent = (api: ReturnType<typeof mockApi>) => api.calls.filter((c) => !c.url.endsWith("/business-hours"));

  it("uploads a picked file at once, shows it, and sends it with the text as its caption", async () => {
    document.cookie = "sb_csrf=tok";
    const api = mockApi({ [UPLOAD]: stored({ id: "file1", filename: "menu.png", mime_type: "image/png", size: 1_258_291 }) });
    const release = holdUpload(api.fetchMock);
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    expect(fileInput().accept).toBe(ATTACH_ACCEPT);

    await userEvent.type(screen.getByLabelText("Message"), "Today's menu");
    await userEvent.upload(fileInput(), picture());
    // While it uploads, nothing can go out.
    const chip = screen.getByRole("group", { name: "Attachment" });
    expect(within(chip).getByRole("status").textContent).toContain("Uploading…");
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(true);
    await userEvent.type(screen.getByLabelText("Message"), "{Enter}");
    expect(onSend).not.toHaveBeenCalled();

    release();
    await within(chip).findByText("1.2 MB");
    expect(within(chip).getByText("menu.png")).toBeTruthy();
    expect(chip.querySelector("img")?.getAttribute("src")).toBe("blob:picked-1");

    // The file went as a form, to the media route, with the connection whose channel's limits apply.
    expect(sent(api)).toHaveLength(1);
    const up = sent(api)[0];
    expect(`${up.method} ${up.url}`).toBe(UPLOAD);
    expect(up.body).toBeInstanceOf(FormData);
    const form = up.body as FormData;
    expect(form.get("connection_id")).toBe("conn1");
    expect((form.get("file") as File).name).toBe("menu.png");
    expect(up.headers["Content-Type"]).toBeUndefined();
    expect(up.headers["X-CSRF-Token"]).toBe("tok");

    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "media", text: "Today's menu", media: { file_id: "file1", caption: "Today's menu" } });
    expect(screen.queryByRole("group", { name: "Attachment" })).toBeNull();
    expect((screen.getByLabelText("Message") as HTMLTextAreaElement).value).toBe("");
    expect(revoked).toEqual(["blob:picked-1"]);
  });

  it("sends a file without text, and shows a document by its name rather than a picture", async () => {
    mockApi({ [UPLOAD]: stored({ id: "file2", filename: "price-list.pdf", mime_type: "application/pdf", size: 307_200 }) });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await userEvent.upload(fileInput(), new File(["%PDF-1.7"], "price-list.pdf", { type: "application/pdf" }));
    const chip = screen.getByRole("group", { name: "Attachment" });
    await within(chip).findByText("300 KB");
    expect(chip.querySelector("img")).toBeNull();
    expect(URL.createObjectURL).not.toHaveBeenCalled();
    await userEvent.type(screen.getByLabelText("Message"), "{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "media", text: "", media: { file_id: "file2" } });
  });

  it("sends a sound file without a caption, its words after it as a message of their own", async () => {
    mockApi({ [UPLOAD]: stored({ id: "file3", filename: "jingle.mp3", mime_type: "audio/mpeg", size: 40_960 }) });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await userEvent.upload(fileInput(), new File(["ID3"], "jingle.mp3", { type: "audio/mpeg" }));
    await within(screen.getByRole("group", { name: "Attachment" })).findByText("40 KB");
    await userEvent.type(screen.getByLabelText("Message"), "Our new jingle{Enter}");
    await waitFor(() => expect(onSend).toHaveBeenCalledTimes(2));
    expect(onSend.mock.calls).toEqual([[{ type: "media", text: "", media: { file_id: "file3" } }], [{ type: "text", text: "Our new jingle" }]]);
  });

  it("goes back to a text message when the attachment is removed", async () => {
    const api = mockApi({ [UPLOAD]: stored({ id: "file1", filename: "menu.png", mime_type: "image/png", size: 1_258_291 }) });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await userEvent.upload(fileInput(), picture());
    await screen.findByText("1.2 MB");
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(false);

    await userEvent.click(screen.getByRole("button", { name: "Remove attachment" }));
    expect(screen.queryByRole("group", { name: "Attachment" })).toBeNull();
    expect(revoked).toEqual(["blob:picked-1"]);
    // Without the file there is nothing to send until something is typed.
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(true);
    await userEvent.type(screen.getByLabelText("Message"), "Menu follows by email{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Menu follows by email" });
    expect(sent(api)).toHaveLength(1);
  });

  it("shows why the server refused a file and keeps nothing attached", async () => {
    const api = mockApi({
      [UPLOAD]: {
        status: 422,
        body: {
          error: {
            code: "validation_failed",
            message: "validation failed",
            fields: { file: "must be at most 5 MB: the whatsapp channel carries pictures up to 5 MB" },
          },
        },
      },
    });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await userEvent.upload(fileInput(), new File([new Uint8Array(6 << 20)], "poster.png", { type: "image/png" }));
    expect((await screen.findByRole("alert")).textContent).toBe("poster.png must be at most 5 MB: the whatsapp channel carries pictures up to 5 MB");
    expect(screen.queryByRole("group", { name: "Attachment" })).toBeNull();
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(true);
    await userEvent.type(screen.getByLabelText("Message"), "{Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(sent(api)).toHaveLength(1);
  });

  it("puts the text and the file back when the message is refused", async () => {
    mockApi({ [UPLOAD]: stored({ id: "file1", filename: "menu.png", mime_type: "image/png", size: 1_258_291 }) });
    const onSend = vi.fn().mockRejectedValue(
      new ApiError(422, { code: "validation_failed", message: "validation failed", fields: { "media.file_id": "is no file uploaded to this workspace" } }),
    );
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await userEvent.upload(fileInput(), picture());
    await screen.findByText("1.2 MB");
    await userEvent.type(screen.getByLabelText("Message"), "Today's menu{Enter}");
    expect((await screen.findByRole("alert")).textContent).toBe("The attachment is no file uploaded to this workspace");
    expect((screen.getByLabelText("Message") as HTMLTextAreaElement).value).toBe("Today's menu");
    expect(within(screen.getByRole("group", { name: "Attachment" })).getByText("menu.png")).toBeTruthy();
  });

  it("offers no attachment for an internal note, nor when only a template can go; a file picked stays with the reply", async () => {
    mockApi({
      [UPLOAD]: stored({ id: "file1", filename: "menu.png", mime_type: "image/png", size: 1_258_291 }),
      "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [], next_cursor: "" } },
    });
    const onSend = vi.fn().mockResolvedValue(undefined);
    const { unmount } = renderInWorkspace(<Composer onSend={onSend} connection="conn1" allowNotes />);
    await userEvent.upload(fileInput(), picture());
    await screen.findByText("1.2 MB");
    await userEvent.click(screen.getByLabelText("Internal note"));
    expect(screen.queryByRole("button", { name: "Attach a file" })).toBeNull();
    expect(screen.queryByRole("group", { name: "Attachment" })).toBeNull();
    expect(screen.getByText("menu.png stays with the reply: a note carries no file.")).toBeTruthy();
    await userEvent.type(screen.getByRole("textbox", { name: "Internal note" }), "Sent the menu{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "note", text: "Sent the menu" });
    await userEvent.click(screen.getByLabelText("Reply"));
    expect(within(screen.getByRole("group", { name: "Attachment" })).getByText("menu.png")).toBeTruthy();
    expect(screen.queryByText(/stays with the reply/)).toBeNull();
    unmount();

    renderInWorkspace(<Composer onSend={onSend} windowClosed connection="conn1" />);
    await screen.findByLabelText("Template name");
    expect(screen.queryByRole("button", { name: "Attach a file" })).toBeNull();
    expect(fileInput()).toBeNull();
  });

  it("says it holds a draft while words, a file or a template's values would be lost", async () => {
    mockApi({
      [UPLOAD]: stored({ id: "file1", filename: "menu.png", mime_type: "image/png", size: 1_258_291 }),
      "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [], next_cursor: "" } },
    });
    const ref = createRef<ComposerControls>();
    const { unmount } = renderInWorkspace(<Composer ref={ref} onSend={vi.fn()} connection="conn1" />);
    expect(ref.current!.hasDraft()).toBe(false);
    await userEvent.upload(fileInput(), picture());
    expect(ref.current!.hasDraft()).toBe(true);
    await userEvent.click(screen.getByRole("button", { name: "Remove attachment" }));
    expect(ref.current!.hasDraft()).toBe(false);
    await userEvent.type(screen.getByLabelText("Message"), "x");
    expect(ref.current!.hasDraft()).toBe(true);
    unmount();

    renderInWorkspace(<Composer ref={ref} onSend={vi.fn()} windowClosed connection="conn1" />);
    await userEvent.type(await screen.findByLabelText("Template name"), "order_update");
    expect(ref.current!.hasDraft()).toBe(true);
    await userEvent.clear(screen.getByLabelText("Template name"));
    expect(ref.current!.hasDraft()).toBe(false);
  });

  it("opens the file picker from the Attach button", async () => {
    renderInWorkspace(<Composer onSend={vi.fn()} connection="conn1" />);
    const opened = vi.fn();
    fileInput().addEventListener("click", opened);
    await userEvent.click(screen.getByRole("button", { name: "Attach a file" }));
    await waitFor(() => expect(opened).toHaveBeenCalledOnce());
  });
});

describe("Composer outside business hours", () => {
  const HOURS = "GET /api/v1/workspaces/demo/business-hours";
  const NEXT = "2030-12-09T09:00:00Z";
  const hours = (p: { enabled?: boolean; open_now?: boolean; next_open?: string | null } = {}) => ({
    body: { enabled: true, open_now: false, next_open: NEXT, time_zone: "Europe/London", days: { mon: [{ open: "09:00", close: "17:00" }] }, ...p },
  });
  const notice = () => screen.queryByText(/^Outside business hours: messages wait until/);
  const urgentBox = () => screen.getByLabelText("Urgent — send now") as HTMLInputElement;
  /** Lets the composer's look at the hours come back before asserting what it shows. */
  const settle = async (api: ReturnType<typeof mockApi>) => {
    await waitFor(() => expect(api.calls.some((c) => c.url.endsWith("/business-hours"))).toBe(true));
    await act(() => new Promise((r) => setTimeout(r, 20)));
  };

  it("says when a reply will go while they are closed, and nothing while open, off or not known", async () => {
    const closed = mockApi({ [HOURS]: hours() });
    const { unmount } = renderInWorkspace(<Composer onSend={vi.fn()} connection="conn1" />);
    expect((await screen.findByText(/^Outside business hours/)).textContent).toBe(`Outside business hours: messages wait until ${opening(NEXT)}`);
    expect(urgentBox().checked).toBe(false);
    expect(closed.calls.filter((c) => c.url.endsWith("/business-hours"))).toHaveLength(1);
    unmount();

    for (const answer of [hours({ open_now: true, next_open: null }), hours({ enabled: false, open_now: true, next_open: null }), { status: 500, body: {} }]) {
      const api = mockApi({ [HOURS]: answer });
      const onSend = vi.fn().mockResolvedValue(undefined);
      const { unmount } = renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
      await settle(api);
      expect(notice()).toBeNull();
      expect(screen.queryByLabelText("Urgent — send now")).toBeNull();
      await userEvent.type(screen.getByLabelText("Message"), "Hello{Enter}");
      expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Hello" });
      unmount();
    }
  });

  it("sends a reply ticked urgent with urgent: true, once: the next one waits again", async () => {
    mockApi({ [HOURS]: hours() });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.type(screen.getByLabelText("Message"), "Your table is ready{Enter}");
    expect(onSend).toHaveBeenLastCalledWith({ type: "text", text: "Your table is ready" });

    await userEvent.click(urgentBox());
    await userEvent.type(screen.getByLabelText("Message"), "The kitchen is on fire{Enter}");
    expect(onSend).toHaveBeenLastCalledWith({ type: "text", text: "The kitchen is on fire", urgent: true });
    expect(urgentBox().checked).toBe(false);

    await userEvent.type(screen.getByLabelText("Message"), "All fine now{Enter}");
    expect(onSend).toHaveBeenLastCalledWith({ type: "text", text: "All fine now" });
    expect(onSend).toHaveBeenCalledTimes(3);
  });

  it("keeps urgent ticked when the message is refused, to send again as it was", async () => {
    mockApi({ [HOURS]: hours() });
    const onSend = vi.fn().mockRejectedValueOnce(new ApiError(503, { code: "unavailable", message: "try again" })).mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.click(urgentBox());
    await userEvent.type(screen.getByLabelText("Message"), "Leak in room 4{Enter}");
    await screen.findByRole("alert");
    expect(urgentBox().checked).toBe(true);
    await userEvent.type(screen.getByLabelText("Message"), "{Enter}");
    expect(onSend.mock.calls).toEqual([[{ type: "text", text: "Leak in room 4", urgent: true }], [{ type: "text", text: "Leak in room 4", urgent: true }]]);
  });

  it("marks a file, and the words that follow a sound file, urgent too", async () => {
    mockApi({
      [HOURS]: hours(),
      "POST /api/v1/workspaces/demo/media": {
        status: 201,
        body: { id: "file3", filename: "jingle.mp3", mime_type: "audio/mpeg", size: 40_960, sha256: "x", created_at: "2030-01-02T10:00:00Z" },
      },
    });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.upload(document.querySelector<HTMLInputElement>('input[type="file"]')!, new File(["ID3"], "jingle.mp3", { type: "audio/mpeg" }));
    await screen.findByText("40 KB");
    await userEvent.click(urgentBox());
    await userEvent.type(screen.getByLabelText("Message"), "Our new jingle{Enter}");
    await waitFor(() => expect(onSend).toHaveBeenCalledTimes(2));
    expect(onSend.mock.calls).toEqual([
      [{ type: "media", text: "", media: { file_id: "file3" }, urgent: true }],
      [{ type: "text", text: "Our new jingle", urgent: true }],
    ]);
    expect(urgentBox().checked).toBe(false);
  });

  it("marks a template sent from the picker urgent when ticked", async () => {
    mockApi({ [HOURS]: hours(), "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [], next_cursor: "" } } });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} windowClosed connection="conn1" />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.click(urgentBox());
    await userEvent.type(await screen.findByLabelText("Template name"), "order_update");
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "template", text: "", template: { name: "order_update", language: "en_US" }, urgent: true });
    await waitFor(() => expect(urgentBox().checked).toBe(false));
  });

  it("sends a template's uploaded header file beside it, urgent when ticked", async () => {
    mockApi({
      [HOURS]: hours(),
      "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [welcome], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/media": {
        status: 201,
        body: { id: "file7", filename: "offer.png", mime_type: "image/png", size: 3, sha256: "x", created_at: "2030-01-02T10:00:00Z" },
      },
    });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} windowClosed connection="conn1" />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.click(urgentBox());
    await userEvent.upload(await screen.findByLabelText("Or upload the image"), new File(["png"], "offer.png", { type: "image/png" }));
    await screen.findByRole("group", { name: "Header image file" });
    await userEvent.clear(screen.getByLabelText("{{first_name}}"));
    await userEvent.type(screen.getByLabelText("{{first_name}}"), "Lena");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith({
      type: "template",
      text: "",
      template: { name: "welcome_offer", language: "de", named: { first_name: "Lena", shop: "Blumenladen" }, button_urls: ["spring-24"] },
      media: { file_id: "file7" },
      urgent: true,
    });
  });

  it("marks a location urgent when ticked; a scheduled message goes at its own time, so never urgent", async () => {
    mockApi({ [HOURS]: hours() });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.click(urgentBox());
    await more("Share a location…");
    const place = screen.getByRole("dialog", { name: "Share a location" });
    await userEvent.type(within(place).getByLabelText("Latitude"), "48.8584");
    await userEvent.type(within(place).getByLabelText("Longitude"), "2.2945{Enter}");
    expect(onSend).toHaveBeenLastCalledWith({ type: "location", text: "", location: { latitude: 48.8584, longitude: 2.2945 }, urgent: true });
    await waitFor(() => expect(urgentBox().checked).toBe(false));

    await userEvent.click(urgentBox());
    await userEvent.type(screen.getByLabelText("Message"), "Doors open at nine");
    await more("Schedule…");
    const when = screen.getByRole("dialog", { name: "Schedule message" });
    fireEvent.change(within(when).getByLabelText("Send at"), { target: { value: "2031-03-02T09:00" } });
    await userEvent.click(within(when).getByRole("button", { name: "Schedule" }));
    expect(onSend).toHaveBeenLastCalledWith({ type: "text", text: "Doors open at nine", schedule_at: new Date(2031, 2, 2, 9, 0).toISOString() });
    // Still ticked, for the next message sent at once.
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Schedule message" })).toBeNull());
    expect(urgentBox().checked).toBe(true);
  });

  it("says nothing of business hours over an internal note, which is never held", async () => {
    mockApi({ [HOURS]: hours() });
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} connection="conn1" allowNotes />);
    await screen.findByText(/^Outside business hours/);
    await userEvent.click(urgentBox());
    await userEvent.click(screen.getByLabelText("Internal note"));
    expect(notice()).toBeNull();
    expect(screen.queryByLabelText("Urgent — send now")).toBeNull();
    await userEvent.type(screen.getByRole("textbox", { name: "Internal note" }), "Called them back{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "note", text: "Called them back" });
    // Back to replying, the notice is there again.
    await userEvent.click(screen.getByLabelText("Reply"));
    expect(notice()).not.toBeNull();
  });
});

describe("Composer bold and emoji", () => {
  const box = () => screen.getByLabelText("Message") as HTMLTextAreaElement;
  const help = () => document.getElementById("composer-help")!;

  it("makes the selection bold with Ctrl+B or Cmd+B, keeping the words selected", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    expect(help().textContent).toContain("Ctrl+B for bold");
    await userEvent.type(box(), "Your order shipped");
    box().setSelectionRange(5, 10);
    await userEvent.keyboard("{Control>}b{/Control}");
    expect(box().value).toBe("Your *order* shipped");
    expect([box().selectionStart, box().selectionEnd]).toEqual([6, 11]);

    // Again, on the same words: bold comes off.
    await userEvent.keyboard("{Meta>}b{/Meta}");
    expect(box().value).toBe("Your order shipped");
    expect([box().selectionStart, box().selectionEnd]).toEqual([5, 10]);

    // A trailing space picked up with the word stays outside the stars.
    box().setSelectionRange(11, 18);
    await userEvent.keyboard("{Meta>}b{/Meta}");
    expect(box().value).toBe("Your order *shipped*");
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Your order *shipped*" });
  });

  it("puts a pair of stars with the caret between when nothing is selected, to type the bold words", async () => {
    render(<Composer onSend={vi.fn()} />);
    await userEvent.type(box(), "Open ");
    await userEvent.keyboard("{Control>}b{/Control}");
    expect(box().value).toBe("Open **");
    expect([box().selectionStart, box().selectionEnd]).toEqual([6, 6]);
    await userEvent.keyboard("today");
    expect(box().value).toBe("Open *today*");
    // Ctrl with another key still does what it did.
    await userEvent.keyboard("{Control>}a{/Control}");
    expect(box().value).toBe("Open *today*");
  });

  it("inserts an emoji at the caret or in place of the selection, closes, and gives the box its focus back", async () => {
    render(<Composer onSend={vi.fn()} />);
    await userEvent.type(box(), "Thanks for waiting");
    box().setSelectionRange(6, 6);
    await userEvent.click(screen.getByRole("button", { name: "Insert emoji" }));
    const picker = screen.getByRole("dialog", { name: "Emoji" });
    expect(within(picker).getAllByRole("button")).toHaveLength(40);
    expect(within(picker).getByRole("group", { name: "Gestures" })).toBeTruthy();
    await userEvent.click(within(picker).getByRole("button", { name: "Folded hands" }));
    expect(screen.queryByRole("dialog", { name: "Emoji" })).toBeNull();
    expect(box().value).toBe("Thanks🙏 for waiting");
    expect(document.activeElement).toBe(box());
    await userEvent.keyboard("!");
    expect(box().value).toBe("Thanks🙏! for waiting");

    box().setSelectionRange(14, 21);
    await userEvent.click(screen.getByRole("button", { name: "Insert emoji" }));
    await userEvent.click(screen.getByRole("button", { name: "Thumbs up" }));
    expect(box().value).toBe("Thanks🙏! for 👍");
    // Characters as the server counts them: each emoji is one.
    expect(help().textContent).toMatch(/ · 14\/4096$/);
  });

  it("closes the emoji grid on Escape or a click elsewhere, inserting nothing", async () => {
    render(<Composer onSend={vi.fn()} />);
    await userEvent.type(box(), "Hi");
    const button = screen.getByRole("button", { name: "Insert emoji" });
    await userEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    // Focus goes into the grid, and the arrows move in it.
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Grinning face");
    await userEvent.keyboard("{ArrowDown}");
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Thumbs up");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog", { name: "Emoji" })).toBeNull();
    expect(document.activeElement).toBe(button);

    await userEvent.click(button);
    expect(screen.getByRole("dialog", { name: "Emoji" })).toBeTruthy();
    await userEvent.click(box());
    expect(screen.queryByRole("dialog", { name: "Emoji" })).toBeNull();
    expect(box().value).toBe("Hi");
  });

  it("counts the 4096 limit in characters, as the server does, not in UTF-16 units", async () => {
    render(<Composer onSend={vi.fn()} />);
    fireEvent.change(box(), { target: { value: "a".repeat(4095) } });
    await userEvent.click(screen.getByRole("button", { name: "Insert emoji" }));
    await userEvent.click(screen.getByRole("button", { name: "Party popper" }));
    expect(box().value.length).toBe(4097);
    expect(help().textContent).toMatch(/ · 4096\/4096$/);
    expect(help().classList.contains("over")).toBe(false);
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(false);
    await userEvent.keyboard("b");
    expect(help().textContent).toMatch(/ · 4097\/4096$/);
    expect(help().classList.contains("over")).toBe(true);
    expect(screen.getByRole("button", { name: "Send" }).hasAttribute("disabled")).toBe(true);
  });

  it("says how many SMS parts, a credit each, the text is on an SMS connection, and nothing of it elsewhere", async () => {
    const sms = fakeWorkspace({ connections: [connection({ id: "sms1", kind: "sms", plugin: "twilio-sms" })] });
    const { unmount } = renderInWorkspace(<Composer onSend={vi.fn()} connection="sms1" />, sms);
    fireEvent.change(box(), { target: { value: "a".repeat(160) } });
    expect(help().textContent).toMatch(/ · 160\/4096 · 1 SMS part, a credit each$/);
    fireEvent.change(box(), { target: { value: "a".repeat(160) + "😀" } });
    expect(help().textContent).toMatch(/ · 161\/4096 · 3 SMS parts, a credit each$/);
    unmount();
    renderInWorkspace(<Composer onSend={vi.fn()} connection="conn1" />);
    fireEvent.change(box(), { target: { value: "a".repeat(200) } });
    expect(help().textContent).toMatch(/ · 200\/4096$/);
  });

  it("keeps bold and emoji for an internal note", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    renderInWorkspace(<Composer onSend={onSend} allowNotes />);
    await userEvent.click(screen.getByLabelText("Internal note"));
    const note = screen.getByRole("textbox", { name: "Internal note" }) as HTMLTextAreaElement;
    await userEvent.type(note, "VIP");
    note.setSelectionRange(0, 3);
    await userEvent.keyboard("{Control>}b{/Control}");
    expect(note.value).toBe("*VIP*");
    note.setSelectionRange(5, 5);
    await userEvent.click(screen.getByRole("button", { name: "Insert emoji" }));
    await userEvent.click(screen.getByRole("button", { name: "Star" }));
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "note", text: "*VIP*⭐" });
  });
});

/** The menu of other ways to send, opened, and one of its items chosen. */
async function more(item: string) {
  await userEvent.click(screen.getByRole("button", { name: "More ways to send" }));
  await userEvent.click(within(screen.getByRole("menu", { name: "More ways to send" })).getByRole("menuitem", { name: item }));
}

/** The message a dialog's field shows under it, if any. */
function fieldMessage(dialog: HTMLElement, label: string): string | null {
  const input = within(dialog).getByLabelText(label);
  return input.closest(".field")?.querySelector(".field-error")?.textContent ?? null;
}

describe("Composer location", () => {
  it("checks the coordinates before anything goes, then sends the place with its name and address", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    await more("Share a location…");
    const dialog = screen.getByRole("dialog", { name: "Share a location" });

    await userEvent.click(within(dialog).getByRole("button", { name: "Send location" }));
    expect(fieldMessage(dialog, "Latitude")).toBe("is required");
    expect(fieldMessage(dialog, "Longitude")).toBe("is required");
    expect(within(dialog).getByLabelText("Latitude").getAttribute("aria-invalid")).toBe("true");

    await userEvent.type(within(dialog).getByLabelText("Latitude"), "95");
    await userEvent.type(within(dialog).getByLabelText("Longitude"), "west");
    await userEvent.click(within(dialog).getByRole("button", { name: "Send location" }));
    expect(fieldMessage(dialog, "Latitude")).toBe("must be between -90 and 90");
    expect(fieldMessage(dialog, "Longitude")).toBe("must be a number, e.g. -0.1278");
    await userEvent.clear(within(dialog).getByLabelText("Longitude"));
    await userEvent.type(within(dialog).getByLabelText("Longitude"), "-181");
    expect(fieldMessage(dialog, "Longitude")).toBe("must be between -180 and 180");
    expect(onSend).not.toHaveBeenCalled();

    await userEvent.clear(within(dialog).getByLabelText("Latitude"));
    await userEvent.type(within(dialog).getByLabelText("Latitude"), "51.5074");
    await userEvent.clear(within(dialog).getByLabelText("Longitude"));
    await userEvent.type(within(dialog).getByLabelText("Longitude"), "−0.1278");
    await userEvent.type(within(dialog).getByLabelText("Name"), " Head office ");
    await userEvent.type(within(dialog).getByLabelText("Address"), "1 High Street, London");
    expect(fieldMessage(dialog, "Latitude")).toBeNull();
    expect(fieldMessage(dialog, "Longitude")).toBeNull();
    await userEvent.click(within(dialog).getByRole("button", { name: "Send location" }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith({
      type: "location",
      text: "",
      location: { latitude: 51.5074, longitude: -0.1278, name: "Head office", address: "1 High Street, London" },
    });
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Share a location" })).toBeNull());
  });

  it("sends only the coordinates when no name or address is given, and leaves the text in the box alone", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    await userEvent.type(screen.getByLabelText("Message"), "See you there");
    await more("Share a location…");
    const dialog = screen.getByRole("dialog", { name: "Share a location" });
    await userEvent.type(within(dialog).getByLabelText("Latitude"), "-33.8568");
    await userEvent.type(within(dialog).getByLabelText("Longitude"), "151.2153{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "location", text: "", location: { latitude: -33.8568, longitude: 151.2153 } });
    expect((screen.getByLabelText("Message") as HTMLTextAreaElement).value).toBe("See you there");
  });

  it("shows the server's complaint on the field it names and keeps the dialog open", async () => {
    const onSend = vi.fn().mockRejectedValue(
      new ApiError(422, { code: "validation_failed", message: "validation failed", fields: { "location.longitude": "must be between -180 and 180" } }),
    );
    render(<Composer onSend={onSend} />);
    await more("Share a location…");
    const dialog = screen.getByRole("dialog", { name: "Share a location" });
    await userEvent.type(within(dialog).getByLabelText("Latitude"), "10");
    await userEvent.type(within(dialog).getByLabelText("Longitude"), "20");
    await userEvent.click(within(dialog).getByRole("button", { name: "Send location" }));
    await waitFor(() => expect(fieldMessage(dialog, "Longitude")).toBe("must be between -180 and 180"));
    expect(fieldMessage(dialog, "Latitude")).toBeNull();
    expect(within(dialog).getByRole("alert").textContent).toBe("validation failed");
    expect(screen.getByRole("dialog", { name: "Share a location" })).toBe(dialog);
  });
});

describe("Composer schedule", () => {
  const dialog = () => screen.getByRole("dialog", { name: "Schedule message" });
  const sendAt = () => within(dialog()).getByLabelText("Send at") as HTMLInputElement;

  it("offers scheduling once there is something to send, and sends it at the chosen time of the member's time zone", async () => {
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} />);
    await userEvent.click(screen.getByRole("button", { name: "More ways to send" }));
    const item = screen.getByRole("menuitem", { name: "Schedule…" });
    expect(item.getAttribute("aria-disabled")).toBe("true");
    expect(item.getAttribute("aria-describedby") && document.getElementById(item.getAttribute("aria-describedby")!)?.textContent).toBe(
      "Write a message or attach a file first",
    );
    await userEvent.click(item);
    expect(screen.queryByRole("dialog", { name: "Schedule message" })).toBeNull();
    await userEvent.keyboard("{Escape}");

    await userEvent.type(screen.getByLabelText("Message"), "Happy new year!");
    await more("Schedule…");
    // A time a few minutes ahead to start from, shown in the member's own zone.
    expect(Date.parse(sendAt().value)).toBeGreaterThan(Date.now() + 60 * 1000);
    expect(dialog().textContent).toContain(`Your time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone})`);

    fireEvent.change(sendAt(), { target: { value: "2020-01-01T10:00" } });
    await userEvent.click(within(dialog()).getByRole("button", { name: "Schedule" }));
    expect(fieldMessage(dialog(), "Send at")).toBe("must be at least one minute in the future");
    expect(onSend).not.toHaveBeenCalled();

    fireEvent.change(sendAt(), { target: { value: "2031-01-01T00:00" } });
    expect(fieldMessage(dialog(), "Send at")).toBeNull();
    await userEvent.click(within(dialog()).getByRole("button", { name: "Schedule" }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Happy new year!", schedule_at: new Date(2031, 0, 1, 0, 0).toISOString() });
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Schedule message" })).toBeNull());
    expect((screen.getByLabelText("Message") as HTMLTextAreaElement).value).toBe("");
  });

  it("shows the server's refusal of the time in the dialog and keeps the message", async () => {
    const onSend = vi.fn().mockRejectedValue(
      new ApiError(422, { code: "validation_failed", message: "validation failed", fields: { schedule_at: "must be at least one minute in the future" } }),
    );
    render(<Composer onSend={onSend} />);
    await userEvent.type(screen.getByLabelText("Message"), "Your table is ready");
    await more("Schedule…");
    fireEvent.change(sendAt(), { target: { value: "2031-06-01T18:30" } });
    await userEvent.click(within(dialog()).getByRole("button", { name: "Schedule" }));
    await waitFor(() => expect(fieldMessage(dialog(), "Send at")).toBe("must be at least one minute in the future"));
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Your table is ready", schedule_at: new Date(2031, 5, 1, 18, 30).toISOString() });
    // The composer's own error line stays quiet: the dialog says it.
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    await userEvent.click(within(dialog()).getByRole("button", { name: "Cancel" }));
    expect((screen.getByLabelText("Message") as HTMLTextAreaElement).value).toBe("Your table is ready");
  });

  it("schedules a file with its caption", async () => {
    Object.assign(URL, { createObjectURL: vi.fn(() => "blob:picked"), revokeObjectURL: vi.fn() });
    try {
      mockApi({
        "POST /api/v1/workspaces/demo/media": {
          status: 201,
          body: { id: "file1", filename: "menu.png", mime_type: "image/png", size: 2048, sha256: "x", created_at: "2030-01-02T10:00:00Z" },
        },
      });
      const onSend = vi.fn().mockResolvedValue(undefined);
      renderInWorkspace(<Composer onSend={onSend} connection="conn1" />);
      await userEvent.upload(document.querySelector<HTMLInputElement>('input[type="file"]')!, new File(["png"], "menu.png", { type: "image/png" }));
      await screen.findByText("2 KB");
      await userEvent.type(screen.getByLabelText("Message"), "Friday's menu");
      await more("Schedule…");
      expect(dialog().textContent).toContain("menu.png goes out at the time you choose, with the words in the box as its caption.");
      fireEvent.change(sendAt(), { target: { value: "2031-02-07T08:00" } });
      await userEvent.click(within(dialog()).getByRole("button", { name: "Schedule" }));
      expect(onSend).toHaveBeenCalledExactlyOnceWith({
        type: "media",
        text: "Friday's menu",
        media: { file_id: "file1", caption: "Friday's menu" },
        schedule_at: new Date(2031, 1, 7, 8, 0).toISOString(),
      });
      await waitFor(() => expect(screen.queryByRole("group", { name: "Attachment" })).toBeNull());
    } finally {
      Reflect.deleteProperty(URL, "createObjectURL");
      Reflect.deleteProperty(URL, "revokeObjectURL");
    }
  });

  it("offers neither a location nor scheduling for an internal note, nor when only a template can go", async () => {
    mockApi({ "GET /api/v1/workspaces/demo/connections/conn1/templates": { body: { items: [], next_cursor: "" } } });
    const onSend = vi.fn().mockResolvedValue(undefined);
    const { unmount } = renderInWorkspace(<Composer onSend={onSend} connection="conn1" allowNotes />);
    expect(screen.getByRole("button", { name: "More ways to send" })).toBeTruthy();
    await userEvent.click(screen.getByLabelText("Internal note"));
    expect(screen.queryByRole("button", { name: "More ways to send" })).toBeNull();
    expect(screen.queryByRole("menuitem", { name: "Share a location…" })).toBeNull();
    expect(screen.queryByRole("menuitem", { name: "Schedule…" })).toBeNull();
    unmount();

    renderInWorkspace(<Composer onSend={onSend} windowClosed connection="conn1" />);
    await screen.findByLabelText("Template name");
    expect(screen.queryByRole("button", { name: "More ways to send" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Insert emoji" })).toBeNull();
    expect(onSend).not.toHaveBeenCalled();
  });
});

describe("Composer canned responses", () => {
  const LIST = "GET /api/v1/workspaces/demo/canned-responses";
  const canned = (id: string, shortcut: string, title: string, body: string) => ({
    id, shortcut, title, body, category: "", created_at: "2030-01-01T00:00:00Z", updated_at: "2030-01-01T00:00:00Z",
  });
  const RESPONSES = [
    canned("cr1", "thanks", "Thank you", "Thanks {{first_name}}, this is {{agent_name}}. A copy goes to {{email}}.\nAnything else?"),
    canned("cr2", "hours", "Opening hours", "We are open 9 to 5, {{ name }}."),
    canned("cr3", "thanks-order", "Thanks for your order", "Your order is on its way, {{first_name}} {{last_name}}."),
  ];
  const signedIn = {
    status: "signedIn" as const,
    user: { id: "u1", email: "sam@demo.local", name: "Sam Rivera", is_operator: false, created_at: "2030-01-01T00:00:00Z" },
    memberships: [],
  };
  // The customer has a name and a number, but gave no email.
  const maya = { name: "Maya Patel", phone: "+15550100101" };
  const box = () => screen.getByLabelText("Message") as HTMLTextAreaElement;
  const shown = () => within(screen.getByRole("listbox", { name: "Canned responses" })).getAllByRole("option").map((o) => o.querySelector(".canned-shortcut")?.textContent);
  const selected = () => screen.getAllByRole("option").find((o) => o.getAttribute("aria-selected") === "true");

  function renderAgent(onSend = vi.fn().mockResolvedValue(undefined), permissions = AGENT) {
    const api = mockApi({ [LIST]: { body: { items: RESPONSES, next_cursor: "" } } });
    renderInWorkspace(<Composer onSend={onSend} customer={maya} />, fakeWorkspace({ permissions, role: "agent" }), signedIn);
    return { api, onSend, listed: () => api.calls.filter((c) => c.url.startsWith("/api/v1/workspaces/demo/canned-responses")).length };
  }

  it('opens on "/" and a letter at the start or after a space, narrowing by shortcut as it is typed, loaded once', async () => {
    const { listed } = renderAgent();
    await userEvent.type(box(), "/");
    expect(screen.queryByRole("listbox")).toBeNull(); // a "/" alone is only a slash
    await userEvent.type(box(), "t");
    await waitFor(() => expect(shown()).toEqual(["/thanks", "/thanks-order"]));
    // The box keeps the focus and points at the option the arrows move to.
    expect(document.activeElement).toBe(box());
    expect(box().getAttribute("aria-activedescendant")).toBe(selected()!.id);
    await userEvent.type(box(), "hanks-");
    expect(shown()).toEqual(["/thanks-order"]);
    expect(selected()!.textContent).toContain("Thanks for your order");
    await userEvent.type(box(), "x");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(screen.getByText("No canned responses match")).toBeTruthy();

    // In the middle of a word a slash is only a slash; after a space it opens again.
    await userEvent.clear(box());
    await userEvent.type(box(), "and/ho");
    expect(screen.queryByRole("listbox")).toBeNull();
    await userEvent.type(box(), " /ho");
    expect(shown()).toEqual(["/hours"]);
    expect(listed()).toBe(1);
    expect(document.getElementById("composer-help")!.textContent).toContain("/ or Ctrl+/ for a canned response");
  });

  it("puts the picked response in place of the /shortcut on Enter, the customer's and agent's details filled, a missing one left to fill", async () => {
    const { onSend } = renderAgent();
    await userEvent.type(box(), "Hi! /thanks");
    await waitFor(() => expect(shown()).toEqual(["/thanks", "/thanks-order"]));
    await userEvent.keyboard("{ArrowDown}");
    expect(selected()!.textContent).toContain("/thanks-order");
    await userEvent.keyboard("{ArrowUp}");
    expect(selected()!.textContent).toContain("/thanks");
    expect(selected()!.textContent).toContain("Thanks {{first_name}}, this is {{agent_name}}. A copy goes to {{email}}."); // one line of it
    await userEvent.keyboard("{Enter}");
    expect(box().value).toBe("Hi! Thanks Maya, this is Sam Rivera. A copy goes to {{email}}.\nAnything else?");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(onSend).not.toHaveBeenCalled();
    // The detail left to fill is selected: typing replaces it, and Enter then sends.
    expect(box().value.slice(box().selectionStart, box().selectionEnd)).toBe("{{email}}");
    await userEvent.keyboard("maya@example.com{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "Hi! Thanks Maya, this is Sam Rivera. A copy goes to maya@example.com.\nAnything else?" });
  });

  it("leaves the caret after a response with every detail filled", async () => {
    renderAgent();
    await userEvent.type(box(), "/hou");
    await screen.findByRole("listbox");
    await userEvent.keyboard("{Enter}");
    expect(box().value).toBe("We are open 9 to 5, Maya Patel.");
    expect([box().selectionStart, box().selectionEnd]).toEqual([31, 31]);
  });

  it("asks for the list once after it failed to load, and again only when it opens anew", async () => {
    const { api } = renderAgent();
    const answer = api.fetchMock.getMockImplementation()!;
    api.fetchMock.mockImplementation(async (input, init) =>
      String(input).includes("/canned-responses")
        ? new Response(JSON.stringify({ error: { code: "internal", message: "the list is not available" } }), { status: 500 })
        : answer(input, init),
    );
    const listed = () => api.fetchMock.mock.calls.filter(([u]) => String(u).includes("/canned-responses")).length;
    await userEvent.type(box(), "/hello");
    await screen.findByText("the list is not available");
    await userEvent.keyboard("{ArrowDown}{ArrowUp}{ArrowDown}");
    await userEvent.type(box(), "x");
    // The refusal stays in sight while the shortcut is typed on.
    expect(screen.getByText("the list is not available")).toBeTruthy();
    expect(listed()).toBe(1);

    // A new "/shortcut" opens the list anew: it is asked again.
    await userEvent.type(box(), " /th");
    await waitFor(() => expect(listed()).toBe(2));
  });

  it("leaves Ctrl and the key where a German or Nordic keyboard has '-' (zoom out) to the browser", () => {
    const { listed } = renderAgent();
    expect(fireEvent.keyDown(box(), { key: "-", code: "Slash", ctrlKey: true })).toBe(true);
    expect(screen.queryByText("Loading canned responses…")).toBeNull();
    expect(listed()).toBe(0);
    // Ctrl+/ is Ctrl+Shift+7 there: the key says "/".
    expect(fireEvent.keyDown(box(), { key: "/", code: "Digit7", ctrlKey: true, shiftKey: true })).toBe(false);
  });

  it("inserts with Tab or a click too, the whole name and the last name filled", async () => {
    renderAgent();
    await userEvent.type(box(), "/hou");
    await screen.findByRole("listbox");
    await userEvent.keyboard("{Tab}");
    expect(box().value).toBe("We are open 9 to 5, Maya Patel.");
    expect(document.activeElement).toBe(box());
    await userEvent.type(box(), "{Shift>}{Enter}{/Shift}/thanks-");
    await userEvent.click(await screen.findByRole("option", { name: /Thanks for your order/ }));
    expect(box().value).toBe("We are open 9 to 5, Maya Patel.\nYour order is on its way, Maya Patel.");
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("closes on Escape keeping what was typed, and stays closed while that shortcut is typed on", async () => {
    const { onSend } = renderAgent();
    await userEvent.type(box(), "/tha");
    await screen.findByRole("listbox");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box().value).toBe("/tha");
    await userEvent.type(box(), "nk");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(onSend).not.toHaveBeenCalled();
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "/thank" });
  });

  it("does not send a /shortcut that matched nothing on Enter: the list closes, and a second Enter sends", async () => {
    const { onSend } = renderAgent();
    await userEvent.type(box(), "/zzz");
    await screen.findByText("No canned responses match");
    await userEvent.keyboard("{Enter}");
    expect(screen.queryByText("No canned responses match")).toBeNull();
    expect(onSend).not.toHaveBeenCalled();
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "/zzz" });
  });

  it("waits for the list on Enter while it loads, rather than sending the /shortcut", async () => {
    const { api, onSend } = renderAgent();
    const answer = api.fetchMock.getMockImplementation()!;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    api.fetchMock.mockImplementation(async (input, init) => {
      if (String(input).includes("/canned-responses")) await gate;
      return answer(input, init);
    });
    await userEvent.type(box(), "/thanks");
    expect(screen.getByText("Loading canned responses…")).toBeTruthy();
    await userEvent.keyboard("{Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(box().value).toBe("/thanks");
    release();
    await waitFor(() => expect(shown()).toEqual(["/thanks", "/thanks-order"]));
    await userEvent.keyboard("{Enter}");
    expect(box().value).toBe("Thanks Maya, this is Sam Rivera. A copy goes to {{email}}.\nAnything else?");
    expect(onSend).not.toHaveBeenCalled();
  });

  it("opens with Ctrl+/ on everything, narrowed by what is typed next, and puts the pick at the caret", async () => {
    renderAgent();
    await userEvent.type(box(), "Hello ");
    await userEvent.keyboard("{Control>}/{/Control}");
    await waitFor(() => expect(shown()).toEqual(["/hours", "/thanks", "/thanks-order"]));
    expect(box().value).toBe("Hello ");
    await userEvent.keyboard("ho");
    expect(shown()).toEqual(["/hours"]);
    await userEvent.keyboard("{Enter}");
    expect(box().value).toBe("Hello We are open 9 to 5, Maya Patel.");
    // Pressed again it closes.
    await userEvent.keyboard("{Meta>}/{/Meta}");
    expect(await screen.findByRole("listbox")).toBeTruthy();
    await userEvent.keyboard("{Meta>}/{/Meta}");
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("leaves the customer's details as written when it is not known who the reply goes to", async () => {
    mockApi({ [LIST]: { body: { items: RESPONSES, next_cursor: "" } } });
    renderInWorkspace(<Composer onSend={vi.fn()} />, fakeWorkspace({ permissions: AGENT, role: "agent" }), signedIn);
    await userEvent.type(box(), "/thanks");
    await screen.findByRole("listbox");
    await userEvent.keyboard("{Enter}");
    expect(box().value).toBe("Thanks {{first_name}}, this is Sam Rivera. A copy goes to {{email}}.\nAnything else?");
  });

  it("offers nothing to a member who may not read the canned responses", async () => {
    const { onSend, listed } = renderAgent(undefined, VIEWER.concat("conversations:reply"));
    await userEvent.type(box(), "/thanks");
    await userEvent.keyboard("{Control>}/{/Control}");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(screen.queryByText(/canned/i)).toBeNull();
    expect(box().hasAttribute("aria-haspopup")).toBe(false);
    await userEvent.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith({ type: "text", text: "/thanks" });
    expect(listed()).toBe(0);
  });
});
