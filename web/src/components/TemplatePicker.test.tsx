import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversation, message, mockApi, type Call } from "../test/fakes";
import { deliverySlot, loginCode, orderUpdate, welcome } from "../test/templates";
import { renderInWorkspace } from "../test/workspace";
import { ConversationPane } from "../views/ConversationPane";

// The customer last wrote two days before the test's clock: the window is closed.
const closed = conversation({ id: "c1", connection_id: "conn1", last_inbound_at: new Date(Date.now() - 48 * 3600_000).toISOString() });
const TEMPLATES = "GET /api/v1/workspaces/demo/connections/conn1/templates";
const SEND = "POST /api/v1/workspaces/demo/conversations/c1/messages";

type Routes = Parameters<typeof mockApi>[0];

function api(templates: Routes[string], more: Routes = {}) {
  return mockApi({
    "GET /api/v1/workspaces/demo/conversations/c1": { body: closed },
    "GET /api/v1/workspaces/demo/conversations/c1/messages": { body: { items: [], next_cursor: "" } },
    [TEMPLATES]: templates,
    [SEND]: { status: 201, body: message({ id: "m9", type: "template", body: "sent", status: "pending" }) },
    ...more,
  });
}

/** A template whose header is a file of the format, and whose body asks for nothing. */
const withHeader = (format: "IMAGE" | "VIDEO" | "DOCUMENT") => ({
  name: `doc_${format}`,
  language: "en_US",
  category: "utility",
  status: "approved",
  parameter_format: "positional",
  body: "Your papers are attached.",
  components: [
    { type: "HEADER", format },
    { type: "BODY", text: "Your papers are attached." },
  ],
});

const UPLOAD = "POST /api/v1/workspaces/demo/media";
const stored = (id: string, filename: string) => ({
  status: 201,
  body: { id, filename, mime_type: "image/jpeg", size: 4, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", created_at: "2030-01-02T10:00:00Z" },
});

const sent = (calls: Call[]) => calls.filter((c) => `${c.method} ${c.url}` === SEND).map((c) => c.body);
const preview = () => screen.getByRole("region", { name: "Preview" });

afterEach(() => vi.unstubAllGlobals());

describe("the template picker of a conversation whose window is closed", () => {
  it("lists the connection's templates, shows the body with the parameters filled in, and sends them", async () => {
    const { calls } = api({ body: { items: [orderUpdate, welcome, loginCode], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    const select = (await screen.findByLabelText("Template")) as HTMLSelectElement;
    expect(Array.from(select.options).map((o) => o.textContent)).toEqual([
      "order_update (en_US) · utility",
      "welcome_offer (de) · marketing",
      "login_code (en_US) · authentication",
    ]);
    expect(screen.queryByLabelText("Message")).toBeNull();
    const send = screen.getByRole("button", { name: "Send template" });
    expect(preview().textContent).toBe("Hi {{1}}, your order {{2}} is on its way.");
    expect((screen.getByLabelText("{{1}}") as HTMLInputElement).placeholder).toBe("Maya");
    expect(send.hasAttribute("disabled")).toBe(true);

    await userEvent.type(screen.getByLabelText("{{1}}"), "Tom");
    expect(preview().textContent).toBe("Hi Tom, your order {{2}} is on its way.");
    await userEvent.type(screen.getByLabelText("{{2}}"), "#2077");
    expect(preview().textContent).toBe("Hi Tom, your order #2077 is on its way.");
    await userEvent.click(send);

    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    expect(sent(calls)[0]).toEqual({ type: "template", text: "", template: { name: "order_update", language: "en_US", body: ["Tom", "#2077"] } });
    await waitFor(() => expect((screen.getByLabelText("{{1}}") as HTMLInputElement).value).toBe(""));
  });

  it("asks a named template for its names, its header's link (or file) and its button's link ending", async () => {
    const { calls } = api({ body: { items: [orderUpdate, welcome], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.selectOptions(await screen.findByLabelText("Template"), "welcome_offer|de");
    const params = screen.getByRole("group", { name: "Parameters" });
    expect(Array.from(params.querySelectorAll("label")).map((l) => l.textContent)).toEqual([
      "Header image link",
      "Or upload the image",
      "{{first_name}}",
      "{{shop}}",
      "Link ending of “Zum Angebot”",
    ]);
    expect((within(params).getByLabelText("Header image link") as HTMLInputElement).type).toBe("url");
    expect(screen.queryByLabelText("{{1}}")).toBeNull();

    await userEvent.type(screen.getByLabelText("Header image link"), "https://cdn.example/offer.jpg");
    await userEvent.type(screen.getByLabelText("{{first_name}}"), "Lena");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    expect(screen.getByRole("button", { name: "Send template" }).hasAttribute("disabled")).toBe(true);
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    const p = preview();
    expect(within(p).getByText("Hallo Lena, willkommen bei Blumenladen! Lena, dein Code gilt heute.")).toBeTruthy();
    expect(within(p).getByText("[image: https://cdn.example/offer.jpg]")).toBeTruthy();
    expect(within(p).getByText("Abmelden mit STOP")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));

    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    // A link goes in the template, as before: nothing was uploaded, no media beside it.
    expect(sent(calls)[0]).toEqual({
      type: "template",
      text: "",
      template: {
        name: "welcome_offer",
        language: "de",
        named: { first_name: "Lena", shop: "Blumenladen" },
        header_url: "https://cdn.example/offer.jpg",
        button_urls: ["spring-24"],
      },
    });
    expect(calls.some((c) => c.url.endsWith("/media"))).toBe(false);
  });

  it("uploads a file for the media header and sends its id beside the template, without a link", async () => {
    document.cookie = "sb_csrf=tok";
    const { calls } = api({ body: { items: [welcome], next_cursor: "" } }, { [UPLOAD]: stored("file7", "offer.jpg") });
    renderInWorkspace(<ConversationPane id="c1" />);
    const upload = (await screen.findByLabelText("Or upload the image")) as HTMLInputElement;
    expect(upload.type).toBe("file");
    expect(upload.accept).toBe(".jpg,.jpeg,.png");
    const link = screen.getByLabelText("Header image link") as HTMLInputElement;
    expect(link.required).toBe(true);

    await userEvent.type(screen.getByLabelText("{{first_name}}"), "Lena");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    const send = screen.getByRole("button", { name: "Send template" });
    expect(send.hasAttribute("disabled")).toBe(true);
    const file = new File(["jpeg"], "offer.jpg", { type: "image/jpeg" });
    await userEvent.upload(upload, file);

    // Once stored, the file shows by its name, and the link is no longer needed.
    const chosen = await screen.findByRole("group", { name: "Header image file" });
    expect(within(chosen).getByText("offer.jpg")).toBeTruthy();
    expect(within(chosen).getByRole("button", { name: "Remove" })).toBeTruthy();
    expect(link.required).toBe(false);
    expect(screen.queryByLabelText("Or upload the image")).toBeNull();
    expect(within(preview()).getByText("[image: offer.jpg]")).toBeTruthy();

    // The file went as a form to the media route, with the conversation's connection.
    const up = calls.find((c) => `${c.method} ${c.url}` === UPLOAD)!;
    expect(up.body).toBeInstanceOf(FormData);
    expect((up.body as FormData).get("file")).toBeInstanceOf(File);
    expect(((up.body as FormData).get("file") as File).name).toBe("offer.jpg");
    expect((up.body as FormData).get("connection_id")).toBe("conn1");
    expect(up.headers["X-CSRF-Token"]).toBe("tok");

    await userEvent.click(send);
    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    expect(sent(calls)[0]).toEqual({
      type: "template",
      text: "",
      template: { name: "welcome_offer", language: "de", named: { first_name: "Lena", shop: "Blumenladen" }, button_urls: ["spring-24"] },
      media: { file_id: "file7" },
    });
    // Sent: the form empties, the file with it.
    await waitFor(() => expect(screen.queryByRole("group", { name: "Header image file" })).toBeNull());
    expect(screen.getByLabelText("Or upload the image")).toBeTruthy();
  });

  it("goes back to the link when the uploaded header file is removed", async () => {
    const { calls } = api({ body: { items: [welcome], next_cursor: "" } }, { [UPLOAD]: stored("file7", "offer.png") });
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.upload(await screen.findByLabelText("Or upload the image"), new File(["png"], "offer.png", { type: "image/png" }));
    await userEvent.type(screen.getByLabelText("{{first_name}}"), "Lena");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    const send = screen.getByRole("button", { name: "Send template" });
    await waitFor(() => expect(send.hasAttribute("disabled")).toBe(false));

    await userEvent.click(within(screen.getByRole("group", { name: "Header image file" })).getByRole("button", { name: "Remove" }));
    expect(screen.queryByRole("group", { name: "Header image file" })).toBeNull();
    expect((screen.getByLabelText("Header image link") as HTMLInputElement).required).toBe(true);
    expect(within(preview()).getByText("[image]")).toBeTruthy();
    expect(send.hasAttribute("disabled")).toBe(true);

    await userEvent.type(screen.getByLabelText("Header image link"), "https://cdn.example/offer.png");
    await userEvent.click(send);
    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    expect(sent(calls)[0]).toMatchObject({ template: { header_url: "https://cdn.example/offer.png" } });
    expect(sent(calls)[0]).not.toHaveProperty("media");
  });

  it("shows why the server refused the header file and keeps the link required", async () => {
    api(
      { body: { items: [welcome], next_cursor: "" } },
      {
        [UPLOAD]: {
          status: 422,
          body: { error: { code: "validation_failed", message: "validation failed", fields: { file: "must be at most 5 MB: the whatsapp channel carries pictures up to 5 MB" } } },
        },
      },
    );
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.upload(await screen.findByLabelText("Or upload the image"), new File([new Uint8Array(16)], "poster.png", { type: "image/png" }));
    expect((await screen.findByRole("alert")).textContent).toBe("poster.png must be at most 5 MB: the whatsapp channel carries pictures up to 5 MB");
    expect(screen.queryByRole("group", { name: "Header image file" })).toBeNull();
    expect((screen.getByLabelText("Header image link") as HTMLInputElement).required).toBe(true);
    expect(screen.getByRole("button", { name: "Send template" }).hasAttribute("disabled")).toBe(true);
  });

  it("takes only the files a header of each kind can show", async () => {
    const { calls } = api({ body: { items: [withHeader("VIDEO"), withHeader("DOCUMENT")], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    expect(((await screen.findByLabelText("Or upload the video")) as HTMLInputElement).accept).toBe(".mp4");
    await userEvent.selectOptions(screen.getByLabelText("Template"), "doc_DOCUMENT|en_US");
    expect((screen.getByLabelText("Or upload the document") as HTMLInputElement).accept).toBe(".pdf");
    // A file the picker's filter let through anyway is not uploaded.
    const user = userEvent.setup({ applyAccept: false });
    await user.upload(screen.getByLabelText("Or upload the document"), new File(["x"], "terms.docx", { type: "application/msword" }));
    expect((await screen.findByRole("alert")).textContent).toBe("terms.docx cannot be the header: it takes a pdf document.");
    expect(calls.some((c) => c.url.endsWith("/media"))).toBe(false);
  });

  it("asks for a text header's placeholder and shows it filled in", async () => {
    const { calls } = api({ body: { items: [deliverySlot], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    const header = (await screen.findByLabelText("Header {{1}}")) as HTMLInputElement;
    expect(header.placeholder).toBe("#1042");
    expect(within(preview()).getByText("Order {{1}}")).toBeTruthy();
    await userEvent.type(screen.getByLabelText("{{1}}"), "Tom");
    const send = screen.getByRole("button", { name: "Send template" });
    expect(send.hasAttribute("disabled")).toBe(true);
    await userEvent.type(header, "#2077");
    expect(within(preview()).getByText("Order #2077")).toBeTruthy();
    await userEvent.click(send);

    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    expect(sent(calls)[0]).toEqual({
      type: "template",
      text: "",
      template: { name: "delivery_slot", language: "en_US", body: ["Tom"], header_text: "#2077" },
    });
  });

  it("takes the template's name by hand when the connection lists none", async () => {
    const { calls } = api({ body: { items: [], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.type(await screen.findByLabelText("Template name"), "order_update");
    expect((screen.getByLabelText("Language") as HTMLInputElement).value).toBe("en_US");
    await userEvent.click(screen.getByRole("button", { name: "Add parameter" }));
    await userEvent.type(screen.getByLabelText("{{1}}"), "Maya");
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));
    await waitFor(() => expect(sent(calls)).toEqual([{ type: "template", text: "", template: { name: "order_update", language: "en_US", body: ["Maya"] } }]));
  });

  it("shows the provider's refusal as worded, with no typing by hand, and tries again", async () => {
    let fail = true;
    const refusal = "The provider did not list the templates: (#190) Error validating access token: Session has expired";
    api(() => (fail ? { status: 503, body: { error: { code: "provider_error", message: refusal } } } : { body: { items: [loginCode], next_cursor: "" } }));
    renderInWorkspace(<ConversationPane id="c1" />);
    expect((await screen.findByRole("alert")).textContent).toBe(refusal);
    expect(screen.queryByLabelText("Template name")).toBeNull();
    expect(screen.getByRole("button", { name: "Send template" }).hasAttribute("disabled")).toBe(true);
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByLabelText("Template");
    expect(screen.getByLabelText("Code to copy")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
