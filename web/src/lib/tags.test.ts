import { describe, expect, it } from "vitest";
import { hasName, suggestNames, typedName } from "./tags";

describe("names of tags and labels", () => {
  const known = ["VIP", "billing", "Billing issue", "shipping"];

  it("are the same whatever their case", () => {
    expect(hasName(["VIP"], " vip ")).toBe(true);
    expect(hasName(["VIP"], "VIPs")).toBe(false);
  });

  it("are typed as the server keeps them, spelled as one in use", () => {
    expect(typedName("  refund   due ", known)).toBe("refund due");
    expect(typedName("vip", known)).toBe("VIP");
    expect(typedName("   ", known)).toBe("");
  });

  it("are suggested most used first, containing what is typed, without those carried", () => {
    expect(suggestNames(known, "", [])).toEqual(known);
    expect(suggestNames(known, "BILL", ["billing"])).toEqual(["Billing issue"]);
    expect(suggestNames(known, "i", [], 2)).toEqual(["VIP", "billing"]);
  });
});
