import { describe, expect, it } from "vitest";
import { deliveryNamed, deliverySlot, loginCode, orderUpdate, welcome } from "../test/templates";
import {
  complete,
  defaultValues,
  describeTemplate,
  filledParts,
  fitsHeader,
  HEADER_ACCEPT,
  NO_VALUES,
  placeholders,
  substitute,
  templateMessage,
  templateToSend,
  valueParts,
} from "./templates";

describe("templates", () => {
  it("reads positional parameters up to the highest number, with the provider's examples", () => {
    const s = describeTemplate(orderUpdate);
    expect(s.named).toBe(false);
    expect(s.params).toEqual(["1", "2"]);
    expect(s.examples).toEqual({ "1": "Maya", "2": "#1042" });
    expect(s.mediaHeader).toBeUndefined();
    // {{3}} alone still needs {{1}} and {{2}}.
    expect(describeTemplate({ ...orderUpdate, body: "Total: {{3}}", components: [] }).params).toEqual(["1", "2", "3"]);
  });

  it("reads named parameters once each, the media header, footer and buttons", () => {
    const s = describeTemplate(welcome);
    expect(s.named).toBe(true);
    expect(s.params).toEqual(["first_name", "shop"]);
    expect(s.examples.shop).toBe("Blumenladen");
    expect(s.mediaHeader).toBe("IMAGE");
    expect(s.footer).toBe("Abmelden mit STOP");
    expect(s.urlButtons).toEqual(["Zum Angebot"]);
    expect(s.buttons).toEqual(["Nein danke"]);
    expect(describeTemplate(loginCode).copyCode).toBe(true);
  });

  it("reads a text header's placeholder and its example, and sends its value", () => {
    const s = describeTemplate(deliverySlot);
    expect(s.headerText).toBe("Order {{1}}");
    expect(s.headerParam).toBe("1");
    expect(s.headerExample).toBe("#1042");
    expect(s.params).toEqual(["1"]); // the body's own {{1}}, apart from the header's
    const v = { ...NO_VALUES, params: { "1": "Maya" } };
    expect(complete(s, v)).toBe(false);
    expect(complete(s, { ...v, headerText: "  " })).toBe(false);
    expect(templateToSend(s, { ...v, headerText: " #2077 " })).toEqual({
      name: "delivery_slot",
      language: "en_US",
      body: ["Maya"],
      header_text: "#2077",
    });
    // Named: the header's placeholder goes with its name.
    const n = describeTemplate(deliveryNamed);
    expect([n.headerParam, n.headerExample]).toEqual(["order", "#1042"]);
    expect(templateToSend(n, { ...NO_VALUES, params: { first_name: "Maya" }, headerText: "#2077" })).toEqual({
      name: "delivery_named",
      language: "en_US",
      named: { first_name: "Maya" },
      header_text: "#2077",
      header_param: "order",
    });
    // A text header without a placeholder asks for nothing.
    const plain = describeTemplate({ ...deliverySlot, components: [{ type: "HEADER", format: "TEXT", text: "Your order" }] });
    expect([plain.headerText, plain.headerParam]).toEqual(["Your order", undefined]);
    expect(templateToSend(plain, { ...NO_VALUES, params: { "1": "Maya" } }).header_text).toBeUndefined();
  });

  it("takes the body from the BODY component when the list gives none", () => {
    const s = describeTemplate({ ...orderUpdate, body: undefined, parameter_format: undefined });
    expect(s.body).toBe("Hi {{1}}, your order {{2}} is on its way.");
    expect(s.params).toEqual(["1", "2"]);
    expect(placeholders("{{ a }} {{b}} {{a}}")).toEqual(["a", "b"]);
  });

  it("substitutes the values given and leaves the others as placeholders", () => {
    expect(substitute(welcome.body!, { first_name: "Lena" })).toBe("Hallo Lena, willkommen bei {{shop}}! Lena, dein Code gilt heute.");
  });

  it("builds the send's template only once everything is filled in", () => {
    const s = describeTemplate(welcome);
    const v = { ...NO_VALUES, params: { first_name: " Lena ", shop: "Blumenladen" }, headerUrl: "https://cdn.example/offer.jpg" };
    expect(complete(s, v)).toBe(false);
    const done = { ...v, buttonUrls: ["abc"] };
    expect(complete(s, done)).toBe(true);
    expect(templateToSend(s, done)).toEqual({
      name: "welcome_offer",
      language: "de",
      named: { first_name: "Lena", shop: "Blumenladen" },
      header_url: "https://cdn.example/offer.jpg",
      button_urls: ["abc"],
    });
    const code = describeTemplate(loginCode);
    expect(templateToSend(code, { ...NO_VALUES, params: { "1": "482913" }, copyCode: "482913" })).toEqual({
      name: "login_code",
      language: "en_US",
      body: ["482913"],
      copy_code: "482913",
    });
  });

  it("takes a media header as a link or an uploaded file, the file going beside the template by its id", () => {
    const s = describeTemplate(welcome);
    const v = { ...NO_VALUES, params: { first_name: "Lena", shop: "Blumenladen" }, buttonUrls: ["abc"] };
    expect(complete(s, v)).toBe(false);
    expect(complete(s, { ...v, headerUrl: "  " })).toBe(false);
    const byLink = { ...v, headerUrl: " https://cdn.example/offer.jpg " };
    expect(complete(s, byLink)).toBe(true);
    expect(templateMessage(s, byLink)).toEqual({
      template: { name: "welcome_offer", language: "de", named: { first_name: "Lena", shop: "Blumenladen" }, header_url: "https://cdn.example/offer.jpg", button_urls: ["abc"] },
    });

    const byFile = { ...v, headerFile: { id: "file7", filename: "offer.jpg" } };
    expect(complete(s, byFile)).toBe(true);
    const template = { name: "welcome_offer", language: "de", named: { first_name: "Lena", shop: "Blumenladen" }, button_urls: ["abc"] };
    expect(templateToSend(s, byFile)).toEqual(template);
    expect(templateMessage(s, byFile)).toEqual({ template, media: { file_id: "file7" } });
    // Both given: the uploaded file goes, the link does not.
    expect(templateMessage(s, { ...byFile, headerUrl: "https://cdn.example/old.jpg" })).toEqual({ template, media: { file_id: "file7" } });

    // A template without a media header carries no file, whatever the values hold.
    const plain = describeTemplate(orderUpdate);
    expect(templateMessage(plain, { ...NO_VALUES, params: { "1": "Tom", "2": "#2077" }, headerFile: { id: "file7", filename: "offer.jpg" } })).toEqual({
      template: { name: "order_update", language: "en_US", body: ["Tom", "#2077"] },
    });
  });

  it("takes for a media header only the files of its kind: jpg or png, mp4, pdf", () => {
    expect(HEADER_ACCEPT).toEqual({ IMAGE: ".jpg,.jpeg,.png", VIDEO: ".mp4", DOCUMENT: ".pdf" });
    expect(fitsHeader("IMAGE", { name: "Offer.JPG", type: "image/jpeg" })).toBe(true);
    expect(fitsHeader("IMAGE", { name: "offer.jpeg", type: "" })).toBe(true);
    expect(fitsHeader("IMAGE", { name: "offer.png", type: "image/png" })).toBe(true);
    expect(fitsHeader("IMAGE", { name: "offer.gif", type: "image/gif" })).toBe(false);
    expect(fitsHeader("IMAGE", { name: "offer.webp", type: "image/webp" })).toBe(false);
    expect(fitsHeader("VIDEO", { name: "clip.mp4", type: "video/mp4" })).toBe(true);
    expect(fitsHeader("VIDEO", { name: "clip.webm", type: "video/webm" })).toBe(false);
    expect(fitsHeader("DOCUMENT", { name: "terms.pdf", type: "application/pdf" })).toBe(true);
    expect(fitsHeader("DOCUMENT", { name: "terms.docx", type: "application/msword" })).toBe(false);
    // Without an extension, the file's type says.
    expect(fitsHeader("DOCUMENT", { name: "terms", type: "application/pdf" })).toBe(true);
    expect(fitsHeader("IMAGE", { name: "terms", type: "application/pdf" })).toBe(false);
  });

  it("starts the contact's name as its field with a word for a contact without one, and an authentication template's code as a fresh one", () => {
    const w = describeTemplate(welcome);
    expect(defaultValues(w)).toEqual({ ...NO_VALUES, params: { first_name: "{{first_name|there}}" } });
    expect(complete(w, defaultValues(w))).toBe(false);
    // A positional template's numbers say nothing of the contact.
    expect(defaultValues(describeTemplate(orderUpdate))).toEqual(NO_VALUES);
    // A named text header after a detail of the contact starts as that field too.
    const named = describeTemplate({
      ...deliveryNamed,
      components: [
        { type: "HEADER", format: "TEXT", text: "For {{name}}" },
        { type: "BODY", text: "Hi {{first_name}}, it is on its way." },
      ],
    });
    expect(defaultValues(named)).toMatchObject({ params: { first_name: "{{first_name|there}}" }, headerText: "{{name|there}}" });
    // Details without a word to stand in for them wait for a value: a contact without
    // one would have the send refused.
    const details = describeTemplate({
      ...deliveryNamed,
      body: "We wrote to {{email}} and {{phone}}.",
      components: [
        { type: "HEADER", format: "TEXT", text: "For {{last_name}}" },
        { type: "BODY", text: "We wrote to {{email}} and {{phone}}." },
      ],
    });
    expect(defaultValues(details)).toEqual(NO_VALUES);
    const code = describeTemplate({ ...loginCode, category: "Authentication" });
    expect(defaultValues(code)).toEqual({ ...NO_VALUES, params: { "1": "{{code}}" }, copyCode: "{{code}}" });
    expect(templateToSend(code, defaultValues(code))).toEqual({ name: "login_code", language: "en_US", body: ["{{code}}"], copy_code: "{{code}}" });
    // A copy code of another category (a coupon) is the business's to give.
    const coupon = describeTemplate({ ...loginCode, category: "marketing" });
    expect(defaultValues(coupon)).toEqual(NO_VALUES);
  });

  it("splits a value into its words and the fields it names, as the server reads them", () => {
    expect(valueParts("Dear {{name}}, {{ first_name | there }}!{{plan}}")).toEqual([
      "Dear ",
      { field: "name", fallback: "", token: "{{name}}" },
      ", ",
      { field: "first_name", fallback: "there", token: "{{ first_name | there }}" },
      "!",
      { field: "plan", fallback: "", token: "{{plan}}" },
    ]);
    expect(valueParts("no fields")).toEqual(["no fields"]);
    // A placeholder still waiting for its value stays as words; a filled one shows its fields.
    expect(filledParts(welcome.body!, { first_name: " {{first_name|du}} " })).toEqual([
      "Hallo ",
      { field: "first_name", fallback: "du", token: "{{first_name|du}}" },
      ", willkommen bei {{shop}}! ",
      { field: "first_name", fallback: "du", token: "{{first_name|du}}" },
      ", dein Code gilt heute.",
    ]);
    expect(filledParts(orderUpdate.body!, { "1": "Tom" })).toEqual(["Hi Tom, your order {{2}} is on its way."]);
  });
});
