import { afterEach, describe, expect, it, vi } from "vitest";
import { isAltShortcut, isShortcut, withAlt, withModifier } from "./keys";

afterEach(() => vi.unstubAllGlobals());

const press = (p: Partial<{ key: string; code: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }>) => ({
  key: "",
  code: "",
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...p,
});

describe("keyboard shortcuts", () => {
  it("are Ctrl elsewhere, and on a Mac ⌘ only: Ctrl there is the text box's own", () => {
    expect(isShortcut(press({ key: "r", code: "KeyR", ctrlKey: true }), "r")).toBe(true);
    expect(withModifier("R")).toBe("Ctrl+R");
    expect(withAlt("N")).toBe("Alt+N");

    vi.stubGlobal("navigator", { platform: "MacIntel" });
    expect(isShortcut(press({ key: "r", code: "KeyR", metaKey: true }), "r")).toBe(true);
    expect(isShortcut(press({ key: "n", code: "KeyN", ctrlKey: true }), "n")).toBe(false);
    expect(isShortcut(press({ key: "t", code: "KeyT", ctrlKey: true, metaKey: true }), "t")).toBe(false);
    expect(withModifier("R")).toBe("⌘R");
    expect(withAlt("N")).toBe("⌥N");
  });

  it("read Alt with the letter by its place when the key types something else, and never AltGr", () => {
    expect(isAltShortcut(press({ key: "n", code: "KeyN", altKey: true }), "n")).toBe(true);
    expect(isAltShortcut(press({ key: "Dead", code: "KeyN", altKey: true }), "n")).toBe(true);
    expect(isAltShortcut(press({ key: "†", code: "KeyT", altKey: true }), "t")).toBe(true);
    expect(isAltShortcut(press({ key: "n", code: "KeyN", altKey: true, ctrlKey: true }), "n")).toBe(false);
    expect(isAltShortcut(press({ key: "n", code: "KeyN" }), "n")).toBe(false);
    // A Latin letter elsewhere on the keyboard is that letter.
    expect(isAltShortcut(press({ key: "z", code: "KeyN", altKey: true }), "n")).toBe(false);
  });
});
