import { describe, expect, it } from "vitest";
import { deliveryNamed, deliverySlot, loginCode, orderUpdate, welcome } from "../test/templates";
import { complete, describeTemplate, NO_VALUES, placeholders, substitute, templateToSend } from "./templates";

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
});
