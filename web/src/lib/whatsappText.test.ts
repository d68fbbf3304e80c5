import { describe, expect, it } from "vitest";
import { parseWhatsAppText as parse, type Piece, type Style } from "./whatsappText";

const s = (style: Style, ...children: Piece[]): Piece => ({ style, children });
const bold = (...c: Piece[]) => s("bold", ...c);
const italic = (...c: Piece[]) => s("italic", ...c);
const strike = (...c: Piece[]) => s("strike", ...c);
const mono = (text: string) => s("mono", text);
const code = (text: string) => s("code", text);

describe("parseWhatsAppText", () => {
  it("leaves text without markers as it is, in one run", () => {
    expect(parse("Hello there")).toEqual(["Hello there"]);
    expect(parse("")).toEqual([]);
  });

  it("reads bold, italic, strikethrough, monospace and inline code", () => {
    expect(parse("*ready*")).toEqual([bold("ready")]);
    expect(parse("Your order is *ready* to collect")).toEqual(["Your order is ", bold("ready"), " to collect"]);
    expect(parse("_soon_")).toEqual([italic("soon")]);
    expect(parse("was ~£20~ now £15")).toEqual(["was ", strike("£20"), " now £15"]);
    expect(parse("Type ```STOP``` to opt out")).toEqual(["Type ", mono("STOP"), " to opt out"]);
    expect(parse("Use the code `WELCOME10` at checkout")).toEqual(["Use the code ", code("WELCOME10"), " at checkout"]);
  });

  it("formats several words, and several runs in one line", () => {
    expect(parse("*two words* and _three more words_")).toEqual([bold("two words"), " and ", italic("three more words")]);
  });

  it("nests bold, italic and strikethrough", () => {
    expect(parse("*_x_*")).toEqual([bold(italic("x"))]);
    expect(parse("_*x*_")).toEqual([italic(bold("x"))]);
    expect(parse("~*_all three_*~")).toEqual([strike(bold(italic("all three")))]);
    expect(parse("*very _much_ so*")).toEqual([bold("very ", italic("much"), " so")]);
  });

  it("opens and closes next to punctuation", () => {
    expect(parse("(*bold*)")).toEqual(["(", bold("bold"), ")"]);
    expect(parse("*bold*, then _italic_.")).toEqual([bold("bold"), ", then ", italic("italic"), "."]);
    expect(parse("«*ja*»")).toEqual(["«", bold("ja"), "»"]);
    expect(parse("👉*here*")).toEqual(["👉", bold("here")]);
  });

  it("keeps markers inside words as typed", () => {
    expect(parse("2*3*4")).toEqual(["2*3*4"]);
    expect(parse("a*b*")).toEqual(["a*b*"]);
    expect(parse("*a*b")).toEqual(["*a*b"]);
    expect(parse("snake_case_name")).toEqual(["snake_case_name"]);
    expect(parse("file_name_")).toEqual(["file_name_"]);
    expect(parse("x~y~z")).toEqual(["x~y~z"]);
    expect(parse("can`t won`t")).toEqual(["can`t won`t"]);
    // Letters beyond the first plane count as letters, whole.
    expect(parse("𝐀*b*")).toEqual(["𝐀*b*"]);
  });

  it("closes at the first marker that may close, passing over ones inside words", () => {
    expect(parse("*a*b c*")).toEqual([bold("a*b c")]);
  });

  it("does not format content that starts or ends with a space", () => {
    expect(parse("5 * 3 * 2")).toEqual(["5 * 3 * 2"]);
    expect(parse("* bold*")).toEqual(["* bold*"]);
    expect(parse("*bold *")).toEqual(["*bold *"]);
    expect(parse("_ _")).toEqual(["_ _"]);
    expect(parse("` code `")).toEqual(["` code `"]);
    expect(parse("``` x ```")).toEqual(["``` x ```"]);
  });

  it("keeps unmatched and empty markers as typed", () => {
    expect(parse("*not closed")).toEqual(["*not closed"]);
    expect(parse("not opened*")).toEqual(["not opened*"]);
    expect(parse("**")).toEqual(["**"]);
    expect(parse("***")).toEqual(["***"]);
    expect(parse("____")).toEqual(["____"]);
    expect(parse("```not closed")).toEqual(["```not closed"]);
    expect(parse("``")).toEqual(["``"]);
    expect(parse("`")).toEqual(["`"]);
    expect(parse("*_x*")).toEqual([bold("_x")]);
    expect(parse("Rate us 1-5 * stars")).toEqual(["Rate us 1-5 * stars"]);
  });

  it("keeps doubled markers outside the formatting", () => {
    expect(parse("**bold**")).toEqual(["*", bold("bold"), "*"]);
  });

  it("does not carry bold, italic or strikethrough over a line break", () => {
    expect(parse("*first\nsecond*")).toEqual(["*first\nsecond*"]);
    expect(parse("_a\nb_")).toEqual(["_a\nb_"]);
    expect(parse("`a\nb`")).toEqual(["`a\nb`"]);
    expect(parse("*one*\n*two*")).toEqual([bold("one"), "\n", bold("two")]);
    expect(parse("Line one\nLine *two*\n\nLine three")).toEqual(["Line one\nLine ", bold("two"), "\n\nLine three"]);
  });

  it("lets a ``` block take several lines, as typed", () => {
    expect(parse("Run:\n```npm install\nnpm test```\ndone")).toEqual(["Run:\n", mono("npm install\nnpm test"), "\ndone"]);
    expect(parse("```\nfenced\n```")).toEqual([mono("\nfenced\n")]);
  });

  it("formats nothing inside code", () => {
    expect(parse("```*not bold* _nor italic_```")).toEqual([mono("*not bold* _nor italic_")]);
    expect(parse("`a *b* c`")).toEqual([code("a *b* c")]);
    expect(parse("```SELECT *\nFROM t```")).toEqual([mono("SELECT *\nFROM t")]);
  });

  it("puts code inside bold, and a star inside that code does not close the bold", () => {
    expect(parse("*run `x*y` now*")).toEqual([bold("run ", code("x*y"), " now")]);
    expect(parse("*a `b* c` d*")).toEqual([bold("a ", code("b* c"), " d")]);
    expect(parse("*see ```x``` here*")).toEqual([bold("see ", mono("x"), " here")]);
  });

  it("does not let a ``` block carry bold over lines", () => {
    expect(parse("*a ```b\nc``` d*")).toEqual(["*a ", mono("b\nc"), " d*"]);
  });

  it("reads code that opens before the bold around it ends only as code", () => {
    expect(parse("`a *b` c*")).toEqual([code("a *b"), " c*"]);
  });

  it("does not nest a style in itself", () => {
    expect(parse("*a *b* c*")).toEqual([bold("a *b"), " c*"]);
  });

  it("reads a backtick run that opens nothing as typed, whole", () => {
    expect(parse("``x``")).toEqual(["``x``"]);
    expect(parse("``` `x`")).toEqual(["``` ", code("x")]);
  });

  it("reads a long message full of markers that do not close in good time", () => {
    const started = performance.now();
    for (const run of ["*`_~", "*a ", "*`a ", "``` ", " ```\n", "` `a"]) {
      const text = run.repeat(Math.ceil(4096 / run.length)).slice(0, 4096);
      expect(parse(text).length).toBeGreaterThan(0);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
