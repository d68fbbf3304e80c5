import { describe, expect, it } from "vitest";
import { cannedValues, fillCanned, findCanned, slashToken, type CannedResponse } from "./canned";

const r = (shortcut: string, title: string, body = "", category = ""): CannedResponse => ({
  id: shortcut, shortcut, title, body, category, created_at: "", updated_at: "",
});

describe("cannedValues and fillCanned", () => {
  it("fills the customer's details and the agent's name, and leaves a detail nobody has as written", () => {
    const body = "Hi {{first_name}} {{last_name}} ({{name}}, {{phone}}, {{ email }}), {{agent_name}} here.";
    expect(fillCanned(body, cannedValues({ name: " Maya  de la Cruz ", phone: "+15550100101", email: "" }, "Sam Rivera"))).toBe(
      "Hi Maya Cruz (Maya  de la Cruz, +15550100101, {{ email }}), Sam Rivera here.",
    );
    // One word is a first name, with no last name; an unknown customer fills nothing of theirs.
    expect(fillCanned("{{first_name}} {{last_name}}", cannedValues({ name: "Maya" }, ""))).toBe("Maya {{last_name}}");
    expect(fillCanned("{{first_name}}, {{agent_name}}", cannedValues(undefined, undefined))).toBe("{{first_name}}, {{agent_name}}");
  });
});

describe("findCanned", () => {
  const list = [r("thanks", "Thank you", "We appreciate it"), r("hours", "Opening hours"), r("bye", "Saying goodbye, thanks", "", "Closing"), r("refund", "Refunds", "Money back in 5 days")];

  it("puts shortcuts that start with what is typed first, then those whose shortcut or title hold it", () => {
    expect(findCanned(list, "").map((x) => x.shortcut)).toEqual(["bye", "hours", "refund", "thanks"]);
    expect(findCanned(list, "/THAN").map((x) => x.shortcut)).toEqual(["thanks", "bye"]);
    // The picker does not look in the text; the settings' search does, and in the category.
    expect(findCanned(list, "money").map((x) => x.shortcut)).toEqual([]);
    expect(findCanned(list, "money", "everywhere").map((x) => x.shortcut)).toEqual(["refund"]);
    expect(findCanned(list, "closing", "everywhere").map((x) => x.shortcut)).toEqual(["bye"]);
  });
});

describe("slashToken", () => {
  it("finds a /shortcut at the start or after a space or new line, just before the caret", () => {
    expect(slashToken("/tha", 4)).toEqual({ start: 0, query: "tha" });
    expect(slashToken("Hi\n/re-f_1", 10)).toEqual({ start: 3, query: "re-f_1" });
    expect(slashToken("Hi /tha there", 7)).toEqual({ start: 3, query: "tha" });
    expect(slashToken("and/or", 6)).toBeNull();
    expect(slashToken("/", 1)).toBeNull();
    expect(slashToken("/tha there", 10)).toBeNull();
  });
});
