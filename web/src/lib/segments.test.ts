import { describe, expect, it } from "vitest";
import { smsParts } from "./segments";

// The server's cases (platform/pipeline/segments_test.go): the counter must say what
// the send is charged.
describe("smsParts", () => {
  const cases: [string, string, number][] = [
    ["empty", "", 1],
    ["160 GSM", "a".repeat(160), 1],
    ["161 GSM", "a".repeat(161), 2],
    ["306 GSM", "a".repeat(306), 2],
    ["307 GSM", "a".repeat(307), 3],
    ["extension chars count twice", "€".repeat(80), 1],
    ["81 euro signs", "€".repeat(81), 2],
    ["70 UCS-2", "ж".repeat(70), 1],
    ["71 UCS-2", "ж".repeat(71), 2],
    ["one emoji makes it UCS-2", "a".repeat(69) + "😀", 2],
    ["35 emoji are 70 units", "😀".repeat(35), 1],
    ["134 UCS-2 units", "ж".repeat(134), 2],
    ["135 UCS-2 units", "ж".repeat(135), 3],
    ["extension char ends a single part", "a".repeat(158) + "€", 1],
    ["euro straddles the 153 boundary", "a".repeat(152) + "€" + "b".repeat(152), 3],
    ["form feed straddles the 153 boundary", "a".repeat(152) + "\f" + "b".repeat(152), 3],
    ["euro fills part 1 exactly", "a".repeat(151) + "€" + "b".repeat(153), 2],
    ["153 euro signs", "€".repeat(153), 3],
    ["emoji straddles the 67 boundary", "ж".repeat(66) + "😀" + "ж".repeat(66), 3],
    ["emoji fills part 1 exactly", "ж".repeat(65) + "😀" + "ж".repeat(67), 2],
    ["67 emoji", "😀".repeat(67), 3],
    ["GSM letter then emoji", "a" + "😀".repeat(69), 3],
  ];
  it.each(cases)("%s", (_name, text, want) => {
    expect(smsParts(text)).toBe(want);
  });
});
