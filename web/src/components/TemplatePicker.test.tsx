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

/** The server's message shown beside an input, if any. */
const errorBeside = (input: HTMLElement) => input.closest(".field")?.querySelector(".field-error")?.textContent ?? null;
const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;
const chips = () => screen.getByRole("group", { name: "Insert a field of the recipient" });
const fields = () => Array.from(preview().querySelectorAll(".template-field")).map((f) => [f.textContent, f.getAttribute("title")]);

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
    await userEvent.clear(screen.getByLabelText("{{first_name}}"));
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

    await userEvent.clear(screen.getByLabelText("{{first_name}}"));
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
    await userEvent.clear(screen.getByLabelText("{{first_name}}"));
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

describe("the fields of the recipient in a template's values", () => {
  it("starts a parameter named after the contact's name as that field, marks it in the preview and sends it as written", async () => {
    const { calls } = api({ body: { items: [welcome], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    await screen.findByLabelText("Template");
    // {{first_name}} is the contact's: each copy greets its own recipient, not the
    // example's Lena, and one saved without a name is greeted all the same.
    expect(value("{{first_name}}")).toBe("{{first_name|there}}");
    // {{shop}} names no detail of the contact: it waits for a value, the example its placeholder.
    expect(value("{{shop}}")).toBe("");
    expect((screen.getByLabelText("{{shop}}") as HTMLInputElement).placeholder).toBe("Blumenladen");
    expect(preview().querySelector(".template-body")!.textContent).toBe(
      "Hallo {{first_name|there}}, willkommen bei {{shop}}! {{first_name|there}}, dein Code gilt heute.",
    );
    expect(fields()).toEqual([
      ["{{first_name|there}}", "Each recipient's first name; “there” for one without"],
      ["{{first_name|there}}", "Each recipient's first name; “there” for one without"],
    ]);
    expect(screen.getByText("The marked fields are filled in for each recipient as the message goes out.")).toBeTruthy();

    await userEvent.type(screen.getByLabelText("Header image link"), "https://cdn.example/offer.jpg");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));
    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    expect(sent(calls)[0]).toMatchObject({ template: { name: "welcome_offer", named: { first_name: "{{first_name|there}}", shop: "Blumenladen" } } });
    // Sent: the values go back to the template's defaults, the field included.
    await waitFor(() => expect(value("{{shop}}")).toBe(""));
    expect(value("{{first_name}}")).toBe("{{first_name|there}}");
  });

  it("starts an authentication template's body and copy code as a fresh code for each recipient", async () => {
    const { calls } = api({ body: { items: [orderUpdate, { ...loginCode, category: "AUTHENTICATION" }], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.selectOptions(await screen.findByLabelText("Template"), "login_code|en_US");
    expect(value("{{1}}")).toBe("{{code}}");
    expect(value("Code to copy")).toBe("{{code}}");
    expect(fields()).toEqual([["{{code}}", "A fresh 6-digit code for each recipient"]]);
    expect(preview().querySelector(".template-body")!.textContent).toBe("{{code}} is your verification code.");
    // A template of another category with the same shape starts empty.
    await userEvent.selectOptions(screen.getByLabelText("Template"), "order_update|en_US");
    expect(value("{{1}}")).toBe("");
    await userEvent.selectOptions(screen.getByLabelText("Template"), "login_code|en_US");

    const send = screen.getByRole("button", { name: "Send template" });
    expect(send.hasAttribute("disabled")).toBe(false);
    await userEvent.click(send);
    await waitFor(() => expect(sent(calls)).toHaveLength(1));
    expect(sent(calls)[0]).toEqual({ type: "template", text: "", template: { name: "login_code", language: "en_US", body: ["{{code}}"], copy_code: "{{code}}" } });
  });

  it("puts a field where the caret is in the value last typed in, and at the end of the first value before any", async () => {
    api({ body: { items: [orderUpdate], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    await screen.findByLabelText("Template");
    expect(within(chips()).getAllByRole("button").map((b) => b.textContent)).toEqual(["Name", "First name", "Last name", "Phone", "Email", "Code"]);
    expect(screen.getByText(/gives “there” to one without a first name/).textContent).toContain("{{first_name|there}}");

    // Nothing typed in yet: the first value takes it.
    await userEvent.click(within(chips()).getByRole("button", { name: "First name" }));
    expect(value("{{1}}")).toBe("{{first_name}}");

    const order = screen.getByLabelText("{{2}}") as HTMLInputElement;
    await userEvent.type(order, "#2077 for ");
    await userEvent.click(within(chips()).getByRole("button", { name: "Last name" }));
    expect(order.value).toBe("#2077 for {{last_name}}");
    // The caret stays after the field: typing carries on there.
    expect(document.activeElement).toBe(order);
    await userEvent.type(order, " today");
    expect(order.value).toBe("#2077 for {{last_name}} today");

    // In the middle of the value: at the caret, the selection replaced.
    order.setSelectionRange(0, 5);
    await userEvent.click(within(chips()).getByRole("button", { name: "Code" }));
    expect(order.value).toBe("{{code}} for {{last_name}} today");
    expect(value("{{1}}")).toBe("{{first_name}}");
    expect(preview().querySelector(".template-body")!.textContent).toBe("Hi {{first_name}}, your order {{code}} for {{last_name}} today is on its way.");
  });

  it("offers the fields for the values of a template named by hand", async () => {
    const { calls } = api({ body: { items: [], next_cursor: "" } });
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.type(await screen.findByLabelText("Template name"), "order_update");
    expect(screen.queryByRole("group", { name: "Insert a field of the recipient" })).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Add parameter" }));
    await userEvent.type(screen.getByLabelText("{{1}}"), "Dear ");
    await userEvent.click(within(chips()).getByRole("button", { name: "Name" }));
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));
    await waitFor(() => expect(sent(calls)).toEqual([{ type: "template", text: "", template: { name: "order_update", language: "en_US", body: ["Dear {{name}}"] } }]));
  });

  it("shows the server's refusal of a value beside its input, and one no input shows below them", async () => {
    const gap = "2 of the 3 recipients (+447700900123 first) have no first name: give a fallback, {{first_name|…}}";
    api(
      { body: { items: [welcome], next_cursor: "" } },
      {
        [SEND]: {
          status: 422,
          body: {
            error: {
              code: "validation_failed",
              message: "validation failed",
              fields: { "template.named.first_name": gap, "template.button_urls[0]": "{{ starts a field of the recipient", "template.header_param": "is not the header's" },
            },
          },
        },
      },
    );
    renderInWorkspace(<ConversationPane id="c1" />);
    await userEvent.type(await screen.findByLabelText("Header image link"), "https://cdn.example/offer.jpg");
    await userEvent.type(screen.getByLabelText("{{shop}}"), "Blumenladen");
    await userEvent.type(screen.getByLabelText("Link ending of “Zum Angebot”"), "spring-24");
    await userEvent.click(screen.getByRole("button", { name: "Send template" }));

    const first = screen.getByLabelText("{{first_name}}");
    await waitFor(() => expect(errorBeside(first)).toBe(gap));
    expect(first.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(first.getAttribute("aria-describedby")!)!.textContent).toBe(gap);
    expect(errorBeside(screen.getByLabelText("Link ending of “Zum Angebot”"))).toBe("{{ starts a field of the recipient");
    expect(errorBeside(screen.getByLabelText("{{shop}}"))).toBeNull();
    expect(screen.getByText("template.header_param: is not the header's")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe("validation failed");
    // What was typed stays, for the fallback to be changed.
    expect(value("{{first_name}}")).toBe("{{first_name|there}}");
  });
});
