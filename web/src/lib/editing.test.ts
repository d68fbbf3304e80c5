import { describe, expect, it } from "vitest";
import { insertAt, textLength, toggleBold } from "./editing";

describe("textLength", () => {
  it("counts characters as the server does, an emoji once per code point", () => {
    expect(textLength("hello")).toBe(5);
    expect(textLength("👍")).toBe(1);
    expect("👍".length).toBe(2);
    // A red heart is the heart and a variation selector: two code points, as Go counts runes.
    expect(textLength("❤️")).toBe(2);
    expect(textLength("Thanks 🙏🎉")).toBe(9);
  });
});

describe("insertAt", () => {
  it("replaces the selection and leaves the caret after the piece", () => {
    expect(insertAt("Thanks for waiting", 6, 6, "🙏")).toEqual({ value: "Thanks🙏 for waiting", start: 8, end: 8 });
    expect(insertAt("Great news", 0, 5, "🎉")).toEqual({ value: "🎉 news", start: 2, end: 2 });
  });
});

describe("toggleBold", () => {
  it("wraps the selection in stars and keeps the words selected", () => {
    expect(toggleBold("Your order shipped", 5, 10)).toEqual({ value: "Your *order* shipped", start: 6, end: 11 });
  });

  it("leaves spaces at the selection's edges outside the stars", () => {
    expect(toggleBold("Your order shipped", 4, 11)).toEqual({ value: "Your *order* shipped", start: 6, end: 11 });
  });

  it("takes the stars off again, whether they are selected or just outside", () => {
    expect(toggleBold("Your *order* shipped", 6, 11)).toEqual({ value: "Your order shipped", start: 5, end: 10 });
    expect(toggleBold("Your *order* shipped", 5, 12)).toEqual({ value: "Your order shipped", start: 5, end: 10 });
  });

  it("puts a pair of stars at the caret with the caret between, and takes an empty pair away", () => {
    expect(toggleBold("Open ", 5, 5)).toEqual({ value: "Open **", start: 6, end: 6 });
    expect(toggleBold("Open **", 6, 6)).toEqual({ value: "Open ", start: 5, end: 5 });
    // Only spaces selected: nothing to make bold, so the stars go after them.
    expect(toggleBold("a   b", 1, 4)).toEqual({ value: "a   **b", start: 5, end: 5 });
  });
});
